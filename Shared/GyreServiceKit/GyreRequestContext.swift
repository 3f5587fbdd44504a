import Foundation
import Hummingbird
import Logging
import NIOCore

/// Who is calling: a user with a personal or project token, or the operator
/// (GYRE_ADMIN_TOKEN).
public struct Caller: Sendable, Equatable {
    public var userId: UUID?
    public var login: String
    /// An installation admin.
    public var admin: Bool
    /// The token used (nil for the operator token).
    public var tokenId: UUID?
    /// A project token: the only project it may touch, and its scope (`status`, `view-builds`, `all`).
    public var project: String?
    public var scope: String?
    /// Signed in with a session cookie: the session's CSRF token (nil for API tokens).
    public var csrfToken: String?

    public init(userId: UUID?, login: String, admin: Bool, tokenId: UUID? = nil, project: String? = nil,
                scope: String? = nil, csrfToken: String? = nil) {
        self.csrfToken = csrfToken
        self.userId = userId
        self.login = login
        self.admin = admin
        self.tokenId = tokenId
        self.project = project
        self.scope = scope
    }

    /// The operator credential (GYRE_ADMIN_TOKEN): an admin that is no user.
    public static let operatorCaller = Caller(userId: nil, login: "operator", admin: true)
}

/// The request context of every Gyre HTTP route: the caller once
/// authentication has run, the request's id (from `X-Request-Id`, else new)
/// and the connection's peer (for audit events).
public struct GyreRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var caller: Caller?
    public var requestId: String
    public let remoteAddress: SocketAddress?
    /// The peer's IP address (dotted IPv4 or IPv6 text; an IPv4 peer of a dual-stack socket as a.b.c.d),
    /// for sign-in history, rate limits and audit events.
    public var remoteIP: String? { AuditRequest.clientAddress(forwardedFor: nil, peer: remoteAddress?.ipAddress, trustProxy: false) }

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        caller = nil
        requestId = ""
        remoteAddress = source.channel.remoteAddress
    }
}

/// Gives each request an id, and turns every error into a status and
/// `{"message"}`: API errors as they are, an unknown route as 404 (405 when
/// the path exists for other methods), anything unexpected as a logged 500.
public struct APIErrorMiddleware: RouterMiddleware {
    public typealias Context = GyreRequestContext
    /// Path templates (`/api/v2/pipeline/:id`) and their methods, for 405 answers.
    let routes: @Sendable () -> [(method: String, path: String)]

    public init(routes: @escaping @Sendable () -> [(method: String, path: String)]) {
        self.routes = routes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response {
        var context = context
        let given = request.headers[.init("X-Request-Id")!].flatMap { $0.count <= 128 ? $0 : nil }
        context.requestId = given ?? UUID().uuidString.lowercased()
        context.logger[metadataKey: "request_id"] = .string(context.requestId)
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            if error.status.code >= 500 {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "status": "\(error.status.code)",
                                                                   "error": "\(error.message)"])
            }
            response = JSONResponse.make(["message": error.message], status: error.status)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            let methods = Self.methods(for: request.uri.path, in: routes())
            if !methods.isEmpty, !methods.contains(request.method.rawValue) {
                response = JSONResponse.make(["message": "\(request.method.rawValue) is not allowed on \(request.uri.path); "
                    + "use \(methods.sorted().joined(separator: ", "))"], status: .methodNotAllowed)
                response.headers[.allow] = methods.sorted().joined(separator: ", ")
            } else {
                response = JSONResponse.make(["message": "no such route: \(request.method.rawValue) \(request.uri.path)"],
                                             status: .notFound)
            }
        } catch let error as HTTPResponseError {
            // Hummingbird's own (a body too large, a malformed request): keep the status, add a message.
            let status = error.status
            response = JSONResponse.make(["message": (error as? HTTPError)?.body ?? "\(status.reasonPhrase)"], status: status)
        } catch {
            context.logger.error("unexpected error", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            response = JSONResponse.make(["message": "internal error (request \(context.requestId)); the server log has details"],
                                         status: .internalServerError)
        }
        response.headers[.init("X-Request-Id")!] = context.requestId
        return response
    }

    /// The methods registered for templates matching `path`.
    static func methods(for path: String, in routes: [(method: String, path: String)]) -> Set<String> {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        var found: Set<String> = []
        for route in routes where matches(parts, template: route.path) { found.insert(route.method) }
        return found
    }

    static func matches(_ parts: [Substring], template: String) -> Bool {
        let pattern = template.split(separator: "/", omittingEmptySubsequences: true)
        var index = 0
        for (position, element) in pattern.enumerated() {
            if element == "**" { return true }
            guard index < parts.count else { return false }
            let wildcard = element.hasPrefix(":") || element.contains("{") || element == "*"
            if !wildcard && element != parts[index] { return false }
            index = position + 1
        }
        return index == parts.count
    }
}
