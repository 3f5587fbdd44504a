import Foundation
import GyreModel
import GyreServiceKit
import GyreStore

/// Authorization: every handler that touches a project or an organisation
/// asks here once it knows which one. Installation admins and the operator
/// token pass; a project token has its scope on its own project; a user has
/// what the permissions service decides from their roles.
extension FrontendAPI {
    /// The project of the route (`:vcs/:org/:repo`), once the caller may do `action` on it.
    func slug(_ context: Context, may action: ProjectAction) async throws -> ProjectSlug {
        let slug = try slug(context)
        try await authorize(context, action, project: slug)
        return slug
    }

    /// The workflow of the route (`:id`), once the caller may do `action` on its project (404 before that for an unknown id).
    func workflowProject(_ context: Context, may action: ProjectAction) async throws -> UUID {
        let id = try uuid(context, "workflow")
        guard let workflow = try await guarded({ try await store.workflow(id) }) else { throw APIError.notFound("workflow \(id)") }
        try await authorize(context, action, project: workflow.projectSlug)
        return id
    }

    /// The caller's level on a project.
    func level(_ context: Context, project slug: ProjectSlug) async throws -> AccessLevel {
        guard let caller = context.caller else { throw APIError(.unauthorized, "this call needs an API token") }
        if let tokenProject = caller.project {
            return Access.tokenLevel(scope: caller.scope, tokenProject: tokenProject, target: slug.description)
        }
        if caller.admin { return .admin }
        guard let user = caller.userId else { return .none }
        return try await authorizer.level(user: user, organization: slug.organization, project: slug.description,
                                          logger: context.logger)
    }

    /// Throws 403 unless the caller may do `action` on the project.
    func authorize(_ context: Context, _ action: ProjectAction, project slug: ProjectSlug) async throws {
        let level = try await level(context, project: slug)
        guard Access.allows(level, action) else {
            throw APIError(.forbidden, Self.refusal(login: context.caller?.login ?? "this caller", level: level,
                                                    action: action, project: slug))
        }
    }

    func authorize(_ context: Context, _ action: ProjectAction, project text: String) async throws {
        guard let slug = ProjectSlug(text) else { throw APIError.notFound("project \(text)") }
        try await authorize(context, action, project: slug)
    }

    static func refusal(login: String, level: AccessLevel, action: ProjectAction, project: ProjectSlug) -> String {
        switch level {
        case .none:
            return "\(login) has no role on project \(project) or its organisation \(project.organization); "
                + "an admin of \(project.organization) can add one (PUT /api/gyre/orgs/\(project.organization)/members/\(login))"
        case .status:
            return "this token (scope status) may only read the status of \(project)'s pipelines"
        default:
            let needed = action.required == .admin ? "an admin" : "a \(action.required.rawValue) or admin"
            return "\(login) may not \(action.phrase) \(project): that needs \(needed) role on the project or its "
                + "organisation (\(login) has \(level.rawValue) access)"
        }
    }

    /// The caller's role in an organisation (`admin` for installation admins); nil when none.
    func orgRole(_ context: Context, organization: String) async throws -> OrgRole? {
        guard let caller = context.caller else { throw APIError(.unauthorized, "this call needs an API token") }
        if caller.project != nil { return nil }
        if caller.admin { return .admin }
        guard let user = caller.userId else { return nil }
        switch try await authorizer.level(user: user, organization: organization, project: nil, logger: context.logger) {
        case .admin: return .admin
        case .write: return .member
        case .read: return .viewer
        case .none, .status: return nil
        }
    }

    /// Throws 403 unless the caller belongs to the organisation (or, with `manage`, is one of its admins).
    @discardableResult
    func authorizeOrganization(_ context: Context, _ organization: String, manage: Bool) async throws -> OrgRole? {
        let role = try await orgRole(context, organization: organization)
        let login = context.caller?.login ?? "this caller"
        if manage {
            guard Access.mayManageOrganization(installationAdmin: context.caller?.admin == true, role: role) else {
                throw APIError(.forbidden, "\(login) is not an admin of organisation \(organization)")
            }
        } else {
            guard Access.mayReadOrganization(installationAdmin: context.caller?.admin == true, role: role) else {
                throw APIError(.forbidden, "\(login) is not a member of organisation \(organization)")
            }
        }
        return role
    }
}
