import Hummingbird

/// Internal APIs between services (`/api/v1/...` of the permissions service,
/// `/api/domain/...`) answer only callers holding GYRE_INTERNAL_TOKEN as a
/// bearer token; health and metrics stay open. Without a token configured the
/// API answers anyone who reaches it (the compose network), as the log says at start.
public struct InternalTokenMiddleware: RouterMiddleware {
    public typealias Context = GyreRequestContext
    let token: String?
    let prefixes: [String]

    public init(token: String?, prefixes: [String]) {
        self.token = token
        self.prefixes = prefixes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token, !token.isEmpty, prefixes.contains(where: { request.uri.path.hasPrefix($0) }) else {
            return try await next(request, context)
        }
        let header = request.headers[.authorization] ?? ""
        guard header.lowercased().hasPrefix("bearer "),
              Credentials.equal(String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces), token) else {
            throw APIError(.unauthorized, "this internal API needs GYRE_INTERNAL_TOKEN as a bearer token (Authorization: Bearer …)")
        }
        return try await next(request, context)
    }

}
