import Foundation
import GyreServiceKit
import GyreStore
import Hummingbird

/// Every route needs a caller, except health, metrics and GitHub webhooks
/// (signed with HMAC). A token is accepted as CircleCI clients send it: the
/// `Circle-Token` header, HTTP basic auth with the token as user name, or
/// `?circle-token=`. The operator's GYRE_ADMIN_TOKEN is an admin credential.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = GyreRequestContext
    let identity: IdentityStore
    let adminToken: String?
    let cache: TokenCache
    let limiter: RateLimiter

    /// Paths that answer without a caller: health, metrics, GitHub webhooks (HMAC) and the
    /// continuation of a setup pipeline (its continuation key is the credential, as on CircleCI).
    static let open: [String] = ["/health-check", "/healthcheck", "/status", "/metrics", "/webhooks/github",
                                 "/api/v2/pipeline/continue", "/login", "/logout", "/assets", "/badges"]

    /// The web UI's pages: a visitor without a session is sent to `/login` instead of getting a JSON 401.
    static func isPage(_ request: Request) -> Bool {
        let path = request.uri.path
        return [.get, .head].contains(request.method)
            && (path == "/" || path == "/admin" || path.hasPrefix("/pipelines/") || path.hasPrefix("/settings/")
                || path.hasPrefix("/insights/"))
    }

    static func signInRedirect(_ request: Request) -> Response {
        let target = request.uri.path + (request.uri.query.map { "?\($0)" } ?? "")
        return HTML.redirect("/login?next=\(HTML.component(target))")
    }

    static func isOpen(_ path: String) -> Bool {
        open.contains { path == $0 || path.hasPrefix($0 + "/") }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.isOpen(request.uri.path) else { return try await next(request, context) }
        // Signing in is open: the body carries the credentials.
        if request.method == .post && request.uri.path == "/api/gyre/session" { return try await next(request, context) }
        if Self.credential(request) == nil, let session = Self.sessionSecret(request) {
            let signed: Context
            do {
                signed = try await signedIn(request, context, session: session)
            } catch let error as APIError where error.status == .unauthorized && Self.isPage(request) {
                return Self.signInRedirect(request)
            }
            return try await limited(request, signed, next: next)
        }
        if Self.credential(request) == nil, Self.isPage(request) { return Self.signInRedirect(request) }
        guard let secret = Self.credential(request) else {
            throw APIError(.unauthorized, "this call needs an API token: send it in the Circle-Token header, as the "
                           + "user name of HTTP basic auth, or as ?circle-token= (create one with gyre admin create-token)")
        }
        var context = context
        if let adminToken, !adminToken.isEmpty, Credentials.equal(secret, adminToken) {
            context.caller = .operatorCaller
        } else {
            let hash = IdentityStore.hash(secret)
            let generation = await cache.generation()
            if let generation, let known = cache.caller(for: hash, generation: generation) {
                context.caller = known
            } else {
                let found = try await APIError.guardingDatabase(logger: context.logger) {
                    try await identity.authenticate(hash: hash)
                }
                guard let (user, token) = found else {
                    throw APIError(.unauthorized, "the API token is not valid: it is unknown, revoked, or its user is deactivated")
                }
                let caller = Caller(userId: user.id, login: user.login, admin: user.admin, tokenId: token.id,
                                    project: token.project, scope: token.scope)
                if let generation { cache.remember(caller, for: hash, generation: generation) }
                context.caller = caller
            }
        }
        context.logger[metadataKey: "caller"] = .string(context.caller?.login ?? "-")
        return try await limited(request, context, next: next)
    }

    /// Applies the per-caller rate limit (the operator token is not limited).
    func limited(_ request: Request, _ context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let caller = context.caller, let user = caller.userId else { return try await next(request, context) }
        let key = "user:\(user)"
        let wait = await limiter.waitMilliseconds(caller: key)
        guard wait > 0 else { return try await next(request, context) }
        let seconds = max(1, (wait + 999) / 1000)
        var response = JSONResponse.make(["message": "rate limit exceeded: at most \(limiter.burst) requests at once and "
            + "\(Int(limiter.perSecond)) per second per caller; retry after \(seconds) s"], status: .tooManyRequests)
        response.headers[.retryAfter] = String(seconds)
        return response
    }

    /// A session cookie's caller; calls that change something must carry its CSRF token.
    func signedIn(_ request: Request, _ context: Context, session: String) async throws -> Context {
        let found = try await APIError.guardingDatabase(logger: context.logger) {
            try await identity.session(idHash: IdentityStore.hash(session))
        }
        guard let (user, csrf) = found else {
            throw APIError(.unauthorized, "the session has ended (signed out, expired, or the account is deactivated); sign in again")
        }
        if ![.get, .head, .options].contains(request.method) {
            guard let sent = request.headers[.init("X-CSRF-Token")!], Credentials.equal(sent, csrf) else {
                throw APIError(.forbidden, "a change made with a session cookie needs the session's CSRF token in the "
                               + "X-CSRF-Token header (from the sign-in answer or GET /api/gyre/session)")
            }
        }
        var context = context
        context.caller = Caller(userId: user.id, login: user.login, admin: user.admin, csrfToken: csrf)
        context.logger[metadataKey: "caller"] = .string(user.login)
        return context
    }

    /// The session id in the `gyre_session` cookie, if any.
    static func sessionSecret(_ request: Request) -> String? {
        guard let header = request.headers[.cookie] else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0] == FrontendAPI.sessionCookie, !pair[1].isEmpty { return String(pair[1]) }
        }
        return nil
    }

    /// The token a request carries, if any.
    static func credential(_ request: Request) -> String? {
        if let header = request.headers[.init("Circle-Token")!], !header.isEmpty { return header }
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("basic "),
           let data = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let text = String(data: data, encoding: .utf8) {
            let user = text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
            if !user.isEmpty { return user }
        }
        if let query = request.uri.queryParameters.get("circle-token"), !query.isEmpty { return query }
        return nil
    }

}
