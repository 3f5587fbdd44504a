import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// `GET /api/v1/access?user=<uuid>&organization=<vcs/org>[&project=<vcs/org/repo>]`:
/// the user's level on the project (or, without `project`, the organisation role),
/// for services holding GYRE_INTERNAL_TOKEN (`Authorization: Bearer …`).
struct DecisionAPI: Sendable {
    let roles: RoleStore
    let cache: AccessCache
    let internalToken: String?

    struct Decision: ResponseEncodable {
        var level: AccessLevel
        var installation_admin: Bool
        var organization_role: OrgRole?
        var project_role: ProjectRole?
        var cached: Bool
    }

    func register(on router: Router<GyreRequestContext>) {
        router.add(middleware: InternalTokenMiddleware(token: internalToken, prefixes: ["/api/v1/"]))
        router.get("api/v1/access") { request, context in try await decide(request, context) }
    }

    func decide(_ request: Request, _ context: GyreRequestContext) async throws -> Decision {
        let query = request.uri.queryParameters
        guard let userText = query.get("user"), let user = UUID(uuidString: userText) else {
            throw APIError.badRequest("give the user's id: ?user=<uuid>")
        }
        guard let organization = query.get("organization"), organization.split(separator: "/").count == 2 else {
            throw APIError.badRequest("give the organisation as vcs/org: ?organization=gh/acme")
        }
        let project: String? = query.get("project").map { String($0) }
        // The generation is read before the facts: a change after this read makes what we store stale at once.
        let generation = await cache.generation()
        let field = AccessCache.field(user: user, organization: organization, project: project)
        let facts = try await APIError.guardingDatabase(logger: context.logger) {
            try await roles.facts(user: user, organization: organization, project: project)
        }
        let level = Access.level(facts)
        if let generation { await cache.store(field, level, generation: generation) }
        return Decision(level: level, installation_admin: facts.installationAdmin, organization_role: facts.orgRole,
                        project_role: facts.projectRole, cached: false)
    }
}
