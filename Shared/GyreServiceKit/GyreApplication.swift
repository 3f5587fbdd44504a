import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import Synchronization

/// How every Gyre service is put together and run: an HTTP server with the
/// health and metrics endpoints, plus long-lived background services, all in
/// one `ServiceGroup` that shuts down in reverse order on SIGTERM.
public final class GyreApplication: Sendable {
    public let name: String
    public let environment: ServiceEnvironment
    public let health: HealthRegistry
    public let logger: Logger
    public let port: Int
    let backgroundServices = Mutex<[any Service]>([])
    let routeSetups = Mutex<[@Sendable (Router<GyreRequestContext>) -> Void]>([])
    let registeredRoutes = Mutex<[(method: String, path: String)]>([])
    let serverBuilder = Mutex<HTTPServerBuilder?>(nil)

    /// Replaces the plain HTTP/1 server (e.g. with one that also upgrades to WebSockets).
    public func server(_ builder: HTTPServerBuilder) {
        serverBuilder.withLock { $0 = builder }
    }

    /// Every route of the HTTP server (method, path template), once it is built.
    public var routeTable: [(method: String, path: String)] { registeredRoutes.withLock { $0 } }

    /// Bootstraps logging and metrics (once per process) and reads the port.
    public init(name: String, defaultPort: Int, environment: ServiceEnvironment) {
        GyreBootstrap.once(logLevel: environment.logLevel)
        self.name = name
        self.environment = environment
        self.health = HealthRegistry(environment: environment)
        var logger = Logger(label: "gyre.\(name)")
        logger[metadataKey: "service"] = .string(name)
        self.logger = logger
        self.port = environment.port(default: defaultPort)
    }

    /// Adds a long-lived service; started in the order added, stopped in reverse.
    public func add(_ service: any Service) {
        backgroundServices.withLock { $0.append(service) }
    }

    /// Adds routes to the HTTP server.
    public func routes(_ setup: @escaping @Sendable (Router<GyreRequestContext>) -> Void) {
        routeSetups.withLock { $0.append(setup) }
    }

    public func buildRouter() -> Router<GyreRequestContext> {
        let router = Router(context: GyreRequestContext.self)
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: APIErrorMiddleware(routes: { [self] in self.routeTable }))
        let health = self.health
        let name = self.name
        for path in ["/health-check", "/healthcheck", "/status"] {
            router.get(RouterPath(path)) { _, _ -> Response in
                let report = await health.report()
                struct Body: Encodable {
                    var service: String
                    var status: String
                    var configuration: [String]
                    var dependencies: [String: String]
                }
                return JSONResponse.make(
                    Body(service: name, status: report.status, configuration: report.configuration,
                         dependencies: report.dependencies),
                    status: report.healthy ? .ok : .internalServerError)
            }
        }
        router.get("/metrics") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: GyreBootstrap.registry.emitToBuffer())))
        }
        for setup in routeSetups.withLock({ $0 }) { setup(router) }
        let table = router.routes.map { (method: $0.method.rawValue, path: $0.path.description) }
        registeredRoutes.withLock { $0 = table }
        return router
    }

    /// Runs the service as a process's main: a failure to start (e.g. the
    /// port is taken) is logged plainly and the process exits with status 1.
    public func main() async -> Never {
        do {
            try await run()
            exit(0)
        } catch {
            logger.critical("stopped: \(error)")
            exit(1)
        }
    }

    /// Runs until SIGTERM/SIGINT, then shuts down gracefully.
    public func run() async throws {
        let problems = environment.problems
        if !problems.isEmpty {
            logger.error("bad configuration; /status answers 500 until it is fixed",
                         metadata: ["problems": .array(problems.map { .string($0) })])
        }
        let app = Application(
            router: buildRouter(),
            server: serverBuilder.withLock { $0 } ?? .http1(),
            configuration: .init(address: .hostname(environment.bindHost, port: port), serverName: "gyre-\(name)"),
            logger: logger)
        let services = backgroundServices.withLock { $0 } + [app]
        var configuration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // In-flight work gets this long to finish before it is cancelled.
        configuration.maximumGracefulShutdownDuration = .seconds(
            environment.int("GYRE_SHUTDOWN_TIMEOUT_SECONDS", default: 60, range: 1...86_400))
        let group = ServiceGroup(configuration: configuration)
        logger.info("starting", metadata: ["port": "\(port)"])
        try await group.run()
    }
}

/// Process-wide logging and metrics setup.
public enum GyreBootstrap {
    public static let registry = PrometheusCollectorRegistry()
    private static let done = Mutex(false)

    public static func once(logLevel: String) {
        let first = done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
    }
}
