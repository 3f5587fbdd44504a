import Foundation
import GyreModel
import GyrePasswords
import GyreServiceKit
import GyreStore
import Hummingbird

/// Who am I, API tokens and users (domain data, served by the frontend).
extension FrontendAPI {
    func registerIdentity(on router: Router<Context>) {
        router.get("api/v2/me") { _, context in try await me(context) }
        router.get("api/gyre/tokens") { _, context in try await listTokens(context) }
        router.post("api/gyre/tokens") { request, context in try await createToken(request, context) }
        router.delete("api/gyre/tokens/:id") { request, context in try await revokeToken(request, context) }
        router.get("api/gyre/users") { _, context in try await listUsers(context) }
        router.post("api/gyre/users") { request, context in try await createUser(request, context) }
    }

    var identity: IdentityStore { IdentityStore(database: store.database) }

    func currentUser(_ context: Context) throws -> (id: UUID, caller: Caller) {
        guard let caller = context.caller, let id = caller.userId else {
            throw APIError(.forbidden, "the operator token belongs to no user; use a user's API token for this call")
        }
        return (id, caller)
    }

    /// `GET /api/v2/me`: the caller, as API v2 describes a user.
    func me(_ context: Context) async throws -> Response {
        let (id, _) = try currentUser(context)
        guard let user = try await guarded({ try await identity.user(id: id) }) else { throw APIError.notFound("user \(id)") }
        return JSONResponse.make(APIUser(user))
    }

    struct TokenOut: Encodable {
        var id: String
        var name: String
        var project_slug: String?
        var scope: String?
        var created_at: Date
        var revoked_at: Date?
        /// Only in the answer that creates it.
        var token: String?

        init(_ record: TokenRecord, secret: String? = nil) {
            id = record.id.uuidString.lowercased()
            name = record.name
            project_slug = record.project
            scope = record.scope
            created_at = record.createdAt
            revoked_at = record.revokedAt
            token = secret
        }
    }

    func listTokens(_ context: Context) async throws -> Response {
        let (id, _) = try currentUser(context)
        let tokens = try await guarded { try await identity.tokens(user: id) }
        struct Out: Encodable { var items: [TokenOut] }
        return JSONResponse.make(Out(items: tokens.map { TokenOut($0) }))
    }

    struct TokenBody: Decodable {
        var name: String?
        var project_slug: String?
        var scope: String?
    }

    /// `POST /api/gyre/tokens {"name", "project_slug"?, "scope"?}`: the secret is in this answer only.
    func createToken(_ request: Request, _ context: Context) async throws -> Response {
        let (id, caller) = try currentUser(context)
        if caller.project != nil {
            throw APIError(.forbidden, "a project token cannot create tokens; use a personal token")
        }
        let body = try await body(TokenBody.self, request, allowEmpty: true)
        let name = (body?.name ?? "").trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 200 else { throw APIError.badRequest("give the token a name of 1 to 200 characters") }
        if let scope = body?.scope, !["status", "view-builds", "all"].contains(scope) {
            throw APIError.badRequest("scope must be status, view-builds or all")
        }
        if body?.scope != nil, body?.project_slug == nil {
            throw APIError.badRequest("a scope is for project tokens: give project_slug too")
        }
        var project: String?
        if let slugText = body?.project_slug {
            guard let slug = ProjectSlug(slugText) else { throw APIError.badRequest("project_slug must look like gh/{org}/{repo}") }
            // A project token acts on the project by itself: only its admins may mint one.
            try await authorize(context, .manage, project: slug)
            guard try await guarded({ try await store.project(slug) }) != nil else { throw APIError.notFound("project \(slug)") }
            project = slug.description
        }
        let (token, secret) = try await guarded {
            try await identity.createToken(user: id, name: name, project: project,
                                           scope: project == nil ? nil : (body?.scope ?? "all"),
                                           cause: AuditRequest.cause(request, context: context))
        }
        return JSONResponse.make(TokenOut(token, secret: secret), status: .created)
    }

    func revokeToken(_ request: Request, _ context: Context) async throws -> Response {
        let (user, caller) = try currentUser(context)
        let tokenId = try uuid(context, "token")
        let revoked = try await guarded { try await identity.revokeToken(tokenId, user: caller.admin ? nil : user,
                                                                           cause: AuditRequest.cause(request, context: context)) }
        guard revoked else { throw APIError.notFound("live token \(tokenId) of \(caller.login)") }
        await tokens.invalidate()
        return JSONResponse.make(["message": "revoked"])
    }

    func listUsers(_ context: Context) async throws -> Response {
        try requireAdmin(context, because: "listing users")
        let rows = try await guarded { try await identity.users() }
        struct Item: Encodable {
            var id: String
            var login: String
            var name: String
            var admin: Bool
            var active: Bool
            var created_at: Date
        }
        struct Out: Encodable { var items: [Item] }
        return JSONResponse.make(Out(items: rows.map {
            Item(id: $0.id.uuidString.lowercased(), login: $0.login, name: $0.name, admin: $0.admin, active: $0.active,
                 created_at: $0.createdAt)
        }))
    }

    struct UserBody: Decodable {
        var login: String?
        var name: String?
        var admin: Bool?
        /// For local sign-in (at least 8 characters); optional.
        var password: String?
    }

    func createUser(_ request: Request, _ context: Context) async throws -> Response {
        try requireAdmin(context, because: "creating a user")
        guard let body = try await body(UserBody.self, request, allowEmpty: false), let login = body.login,
              IdentityStore.isLogin(login) else {
            throw APIError.badRequest("give {\"login\": ...} of 1 to 100 letters, digits, '.', '_' or '-'")
        }
        if let password = body.password, let problem = Passwords.problem(password) { throw APIError.badRequest(problem) }
        let (user, created) = try await guarded {
            try await identity.createUser(login: login, name: body.name ?? "", admin: body.admin ?? false,
                                          cause: AuditRequest.cause(request, context: context))
        }
        guard created else { throw APIError(.conflict, "user \(login) exists already") }
        if let password = body.password {
            let hash = try Passwords.hash(password)
            try await guarded { try await identity.setPassword(user: user.id, hash: hash) }
        }
        return JSONResponse.make(["id": user.id.uuidString.lowercased(), "login": user.login], status: .created)
    }
}
