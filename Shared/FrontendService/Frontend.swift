import Foundation
import GyreModel
import GyreRedis
import GyreServiceKit
import GyreStore
import Hummingbird
import HummingbirdWebSocket

/// The web UI/API service: REST API v2 (and the v1.1 calls older clients use).
public enum Frontend {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "frontend", defaultPort: 80, environment: environment)
        let (database, gate) = app.postgres()
        let relay = app.outboxRelay(database: database, gate: gate, publisher: app.amqpPublisher())
        let redis = app.redis()
        let tokens = TokenCache(redis: redis, namespace: environment.namespace)
        var readyURL: URL?
        if let text = environment.optionalString("GYRE_READY_URL") {
            readyURL = URL(string: text)
            if readyURL?.scheme?.hasPrefix("http") != true || readyURL?.host == nil {
                environment.problem("GYRE_READY_URL: \"\(text)\" is not an http(s) URL")
                readyURL = nil
            }
        }
        let api = FrontendAPI(
            store: PipelineStore(database: database, topology: app.topology),
            logs: StepLogStorage(root: environment.storageDirectory),
            redis: redis,
            relay: relay,
            vcsBase: environment.string("GYRE_VCS_BASE", default: "file:///var/lib/gyre/repos"),
            adminToken: environment.optionalString("GYRE_ADMIN_TOKEN"),
            maxBody: environment.int("GYRE_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(64 << 20)),
            namespace: environment.namespace,
            tokens: tokens,
            authorizer: Authorizer(cache: AccessCache(redis: redis, namespace: environment.namespace),
                                   permissionsURL: environment.string("GYRE_PERMISSIONS_URL", default: "http://127.0.0.1:3013"),
                                   internalToken: environment.optionalString("GYRE_INTERNAL_TOKEN")),
            signInLimiter: SignInLimiter(redis: redis, namespace: environment.namespace),
            directory: LDAPDirectory.fromEnvironment(environment, logger: app.logger),
            externalURL: environment.string("GYRE_EXTERNAL_URL", default: "http://localhost"),
            secrets: app.secretKeys(database: database),
            systemHealth: SystemHealthMonitor(health: SystemHealth(url: readyURL)))
        let auth = AuthMiddleware(identity: IdentityStore(database: database),
                                  adminToken: environment.optionalString("GYRE_ADMIN_TOKEN"), cache: tokens,
                                  limiter: RateLimiter(redis: redis, namespace: environment.namespace,
                                                       perSecond: Double(environment.int("GYRE_RATE_LIMIT_PER_SECOND", default: 150, range: 0...1_000_000)),
                                                       burst: environment.int("GYRE_RATE_LIMIT_BURST", default: 300, range: 0...1_000_000)))
        // Job pages follow their job over a WebSocket (announcements through Redis pub/sub).
        let subscriber = RedisSubscriber(config: app.redisConfig(), logger: app.logger)
        let liveJobs = LiveJobSocket(api: api, auth: auth, subscriber: subscriber)
        let livePages = LivePageSocket(api: api, auth: auth, subscriber: subscriber)
        app.server(.http1WebSocketUpgrade { head, channel, logger in
            if head.path?.hasPrefix(LivePageSocket.prefix) == true {
                return await livePages.shouldUpgrade(head, channel: channel, logger: logger)
            }
            return await liveJobs.shouldUpgrade(head, channel: channel, logger: logger)
        })
        app.routes { router in
            router.add(middleware: auth)
            api.register(on: router)
            // The routes of this server, for operators and for the test that proves each one needs a caller.
            router.get("api/gyre/routes") { _, context -> Response in
                try api.requireAdmin(context, because: "listing the routes")
                struct Route: Encodable { var method: String; var path: String }
                return JSONResponse.make(["items": app.routeTable.map { Route(method: $0.method, path: $0.path) }])
            }
        }
        return app
    }
}
