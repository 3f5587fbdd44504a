import Foundation
import GyreServiceKit
import GyreStore
import Hummingbird

/// Installation admins manage users (the seed's REPL tasks, as API calls):
/// promote, demote, deactivate, reactivate, delete, and user statistics.
extension FrontendAPI {
    func registerAdmin(on router: Router<Context>) {
        router.patch("api/gyre/users/:login") { request, context in try await changeUser(request, context) }
        router.delete("api/gyre/users/:login") { request, context in try await deleteUser(request, context) }
        router.get("api/gyre/users/statistics") { request, context in try await userStatistics(request, context) }
    }

    struct UserChangeBody: Decodable {
        var admin: Bool?
        var active: Bool?
    }

    struct UserOut: Encodable {
        var id: String
        var login: String
        var name: String
        var admin: Bool
        var active: Bool
    }

    /// `PATCH /api/gyre/users/{login}` with `{"admin": true|false}` and/or `{"active": true|false}`.
    func changeUser(_ request: Request, _ context: Context) async throws -> Response {
        try requireAdmin(context, because: "changing a user")
        let login = context.parameters.get("login") ?? ""
        guard let body = try await body(UserChangeBody.self, request, allowEmpty: false),
              body.admin != nil || body.active != nil else {
            throw APIError.badRequest("give {\"admin\": true|false} and/or {\"active\": true|false}")
        }
        var user: UserRecord?
        let cause = AuditRequest.cause(request, context: context)
        if let admin = body.admin { user = try await guarded { try await identity.change(login: login, .admin(admin), cause: cause) } }
        if let active = body.active { user = try await guarded { try await identity.change(login: login, .active(active), cause: cause) } }
        await userChanged()
        guard let user else { throw APIError.notFound("user \(login)") }
        return JSONResponse.make(UserOut(id: user.id.uuidString.lowercased(), login: user.login, name: user.name,
                                         admin: user.admin, active: user.active))
    }

    func deleteUser(_ request: Request, _ context: Context) async throws -> Response {
        try requireAdmin(context, because: "deleting a user")
        let login = context.parameters.get("login") ?? ""
        _ = try await guarded {
            try await identity.change(login: login, .delete, cause: AuditRequest.cause(request, context: context))
        }
        await userChanged()
        return JSONResponse.make(["message": "user \(login) deleted"])
    }

    /// Cached callers carry the admin flag, and decisions depend on it: both caches start again on every replica.
    func userChanged() async {
        await tokens.invalidate()
        await authorizer.cache.invalidate()
    }

    struct StatisticsOut: Encodable {
        var period: String
        var users: Int
        var admins: Int
        var active: Int
        var sign_ins: Int
        var items: [Item]

        struct Item: Encodable {
            var id: String
            var login: String
            var name: String
            var emails: [String]
            var admin: Bool
            var activated: Bool
            var source: String
            var sign_in_count: Int
            var current_sign_in_at: Date?
            var current_sign_in_ip: String?
            var last_sign_in_at: Date?
            var last_sign_in_ip: String?
            var created_at: Date

            enum CodingKeys: String, CodingKey {
                case id, login, name, emails, admin, activated, source, sign_in_count, current_sign_in_at,
                     current_sign_in_ip, last_sign_in_at, last_sign_in_ip, created_at
            }

            /// Every field, null when unknown (never left out).
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(id, forKey: .id)
                try c.encode(login, forKey: .login)
                try c.encode(name, forKey: .name)
                try c.encode(emails, forKey: .emails)
                try c.encode(admin, forKey: .admin)
                try c.encode(activated, forKey: .activated)
                try c.encode(source, forKey: .source)
                try c.encode(sign_in_count, forKey: .sign_in_count)
                try c.encode(current_sign_in_at, forKey: .current_sign_in_at)
                try c.encode(current_sign_in_ip, forKey: .current_sign_in_ip)
                try c.encode(last_sign_in_at, forKey: .last_sign_in_at)
                try c.encode(last_sign_in_ip, forKey: .last_sign_in_ip)
                try c.encode(created_at, forKey: .created_at)
            }
        }
    }

    /// `GET /api/gyre/users/statistics?period=all|month`: the seed's user statistics (all time, or signed in during the last month).
    func userStatistics(_ request: Request, _ context: Context) async throws -> Response {
        try requireAdmin(context, because: "reading user statistics")
        let period = request.uri.queryParameters.get("period").map { String($0) } ?? "all"
        let since: Date?
        switch period {
        case "all": since = nil
        case "month": since = Calendar(identifier: .gregorian).date(byAdding: .month, value: -1, to: Date())
        default: throw APIError.badRequest("period must be all or month")
        }
        let users = try await guarded { try await identity.userDetails(signedInSince: since) }
        return JSONResponse.make(StatisticsOut(
            period: period, users: users.count, admins: users.filter(\.admin).count, active: users.filter(\.active).count,
            sign_ins: users.map(\.signInCount).reduce(0, +),
            items: users.map {
                .init(id: $0.id.uuidString.lowercased(), login: $0.login, name: $0.name, emails: $0.emails, admin: $0.admin,
                      activated: $0.active, source: $0.source, sign_in_count: $0.signInCount,
                      current_sign_in_at: $0.currentSignInAt, current_sign_in_ip: $0.currentSignInIP,
                      last_sign_in_at: $0.lastSignInAt, last_sign_in_ip: $0.lastSignInIP, created_at: $0.createdAt)
            }))
    }
}
