import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Organisations, projects and users (the domain model), for other services:
/// `GET /api/domain/projects`, `/api/domain/organizations` (with members and
/// their roles), `/api/domain/users` and `/api/domain/users/{login}`, behind
/// GYRE_INTERNAL_TOKEN. The public API is the frontend's.
public enum Domain {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "domain", defaultPort: 3014, environment: environment)
        let (database, _) = app.postgres(maxConnections: 2)
        let token = environment.optionalString("GYRE_INTERNAL_TOKEN")
        if token == nil { app.logger.warning("GYRE_INTERNAL_TOKEN is not set: the domain API answers any caller that reaches it") }
        let api = DomainAPI(identity: IdentityStore(database: database), roles: RoleStore(database: database),
                            builds: BuildStore(database: database))
        app.routes { router in
            router.add(middleware: InternalTokenMiddleware(token: token, prefixes: ["/api/domain/"]))
            api.register(on: router)
        }
        return app
    }
}

struct DomainAPI: Sendable {
    let identity: IdentityStore
    let roles: RoleStore
    let builds: BuildStore

    struct Project: Encodable { var slug: String; var vcs_url: String }
    struct User: Encodable {
        var id: String
        var login: String
        var name: String
        var admin: Bool
        var active: Bool
        var organizations: [Membership]?
    }
    struct Membership: Encodable { var organization: String; var role: String }

    func register(on router: Router<GyreRequestContext>) {
        router.get("api/domain/projects") { _, context -> Response in
            let projects = try await APIError.guardingDatabase(logger: context.logger) { try await builds.projects() }
            return JSONResponse.make(["items": projects.map { Project(slug: $0.slug, vcs_url: $0.vcsURL) }])
        }
        router.get("api/domain/users") { _, context -> Response in
            let users = try await APIError.guardingDatabase(logger: context.logger) { try await identity.users() }
            return JSONResponse.make(["items": users.map { user($0, memberships: nil) }])
        }
        router.get("api/domain/users/:login") { _, context -> Response in
            let login = context.parameters.get("login") ?? ""
            guard let found = try await APIError.guardingDatabase(logger: context.logger, { try await identity.user(login: login) }) else {
                throw APIError.notFound("user \(login)")
            }
            let memberships = try await APIError.guardingDatabase(logger: context.logger) { try await roles.memberships(user: found.id) }
            return JSONResponse.make(user(found, memberships: memberships.map { Membership(organization: $0.organization, role: $0.role.rawValue) }))
        }
    }

    func user(_ record: UserRecord, memberships: [Membership]?) -> User {
        User(id: record.id.uuidString.lowercased(), login: record.login, name: record.name, admin: record.admin,
             active: record.active, organizations: memberships)
    }
}
