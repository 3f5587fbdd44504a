import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Members and roles of organisations and projects, and organisation groups.
/// Organisation admins manage their organisation's members and groups;
/// project admins their project's members; installation admins everything.
extension FrontendAPI {
    func registerRoles(on router: Router<Context>) {
        let org = router.group("api/gyre/orgs/:vcs/:org")
        org.get("members") { _, context in try await orgMembers(context) }
        org.put("members/:login") { request, context in try await setOrgMember(request, context) }
        org.delete("members/:login") { request, context in try await removeOrgMember(request, context) }
        org.get("groups") { _, context in try await listGroups(context) }
        org.post("groups") { request, context in try await createGroup(request, context) }
        org.delete("groups/:group") { _, context in try await deleteGroup(context) }
        org.put("groups/:group/members/:login") { _, context in try await setGroupMember(context, member: true) }
        org.delete("groups/:group/members/:login") { _, context in try await setGroupMember(context, member: false) }
        let project = router.group("api/gyre/projects/:vcs/:org/:repo")
        project.get("members") { _, context in try await projectMembers(context) }
        project.put("members/:login") { request, context in try await setProjectMember(request, context) }
        project.delete("members/:login") { request, context in try await removeProjectMember(request, context) }
    }

    var roles: RoleStore { RoleStore(database: store.database) }

    struct MemberOut: Encodable {
        var id: String
        var login: String
        var name: String
        var role: String
        init(_ record: MemberRecord) {
            id = record.userId.uuidString.lowercased()
            login = record.login
            name = record.name
            role = record.role
        }
    }

    struct RoleBody: Decodable { var role: String }

    /// `vcs/org` from the route, in the short form projects use.
    func organizationSlug(_ context: Context) throws -> String {
        guard let vcs = context.parameters.get("vcs"), let org = context.parameters.get("org"),
              let slug = ProjectSlug(vcs: vcs, org: org, repo: "x") else {
            throw APIError.badRequest("organisation must look like gh/{org} (or github/, bb/, bitbucket/)")
        }
        return slug.organization
    }

    func namedUser(_ context: Context) async throws -> UserRecord {
        let login = context.parameters.get("login") ?? ""
        guard let user = try await guarded({ try await identity.user(login: login) }) else {
            throw APIError.notFound("user \(login) (create it first: gyre admin create-user \(login))")
        }
        return user
    }

    func orgMembers(_ context: Context) async throws -> Response {
        let org = try organizationSlug(context)
        try await authorizeOrganization(context, org, manage: false)
        let members = try await guarded { try await roles.orgMembers(org) }
        return JSONResponse.make(Page(items: members.map(MemberOut.init)))
    }

    func setOrgMember(_ request: Request, _ context: Context) async throws -> Response {
        let org = try organizationSlug(context)
        try await authorizeOrganization(context, org, manage: true)
        guard let body = try await body(RoleBody.self, request, allowEmpty: false), let role = OrgRole(rawValue: body.role) else {
            throw APIError.badRequest("give {\"role\": \"admin\" | \"member\" | \"viewer\"}")
        }
        let user = try await namedUser(context)
        guard try await guarded({ try await roles.setOrgRole(organization: org, user: user.id, role: role,
                                                                    cause: AuditRequest.cause(request, context: context)) }) else {
            throw APIError.notFound("organisation \(org) (it exists once one of its projects is followed)")
        }
        await authorizer.cache.invalidate()
        return JSONResponse.make(["login": user.login, "role": role.rawValue])
    }

    func removeOrgMember(_ request: Request, _ context: Context) async throws -> Response {
        let org = try organizationSlug(context)
        try await authorizeOrganization(context, org, manage: true)
        let user = try await namedUser(context)
        let admins = try await guarded { try await roles.orgMembers(org) }.filter { $0.role == OrgRole.admin.rawValue }
        if admins.map(\.userId) == [user.id] {
            throw APIError(.conflict, "\(user.login) is the last admin of \(org); make someone else admin first")
        }
        guard try await guarded({ try await roles.setOrgRole(organization: org, user: user.id, role: nil,
                                                                    cause: AuditRequest.cause(request, context: context)) }) else {
            throw APIError.notFound("organisation \(org)")
        }
        await authorizer.cache.invalidate()
        return JSONResponse.make(["message": "\(user.login) removed from \(org)"])
    }

    func projectMembers(_ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        let members = try await guarded { try await roles.projectMembers(slug.description) }
        return JSONResponse.make(Page(items: members.map(MemberOut.init)))
    }

    func setProjectMember(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        guard let body = try await body(RoleBody.self, request, allowEmpty: false), let role = ProjectRole(rawValue: body.role) else {
            throw APIError.badRequest("give {\"role\": \"admin\" | \"write\" | \"read\"}")
        }
        guard try await guarded({ try await store.project(slug) }) != nil else { throw APIError.notFound("project \(slug)") }
        let user = try await namedUser(context)
        try await guarded { try await roles.setProjectRole(project: slug.description, user: user.id, role: role,
                                                      cause: AuditRequest.cause(request, context: context)) }
        await authorizer.cache.invalidate()
        return JSONResponse.make(["login": user.login, "role": role.rawValue])
    }

    func removeProjectMember(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        let user = try await namedUser(context)
        try await guarded { try await roles.setProjectRole(project: slug.description, user: user.id, role: nil,
                                                      cause: AuditRequest.cause(request, context: context)) }
        await authorizer.cache.invalidate()
        return JSONResponse.make(["message": "\(user.login) removed from \(slug)"])
    }

    // MARK: groups

    struct GroupOut: Encodable {
        var id: String
        var name: String
        var source: String
        var members: [String]
    }

    func organizationId(_ org: String) async throws -> UUID {
        guard let found = try await guarded({ try await roles.organization(slug: org) }) else {
            throw APIError.notFound("organisation \(org)")
        }
        return found.id
    }

    func listGroups(_ context: Context) async throws -> Response {
        let org = try organizationSlug(context)
        try await authorizeOrganization(context, org, manage: false)
        let id = try await organizationId(org)
        let groups = try await guarded { try await roles.groups(organization: id) }
        return JSONResponse.make(Page(items: groups.map {
            GroupOut(id: $0.id.uuidString.lowercased(), name: $0.name, source: $0.source, members: $0.members)
        }))
    }

    struct GroupBody: Decodable { var name: String }

    func createGroup(_ request: Request, _ context: Context) async throws -> Response {
        let org = try organizationSlug(context)
        try await authorizeOrganization(context, org, manage: true)
        guard let body = try await body(GroupBody.self, request, allowEmpty: false), IdentityStore.isLogin(body.name) else {
            throw APIError.badRequest("give {\"name\": ...} of 1 to 100 letters, digits, '.', '_' or '-'")
        }
        let orgId = try await organizationId(org)
        let id = try await guarded { try await roles.createGroup(organization: orgId, name: body.name) }
        return JSONResponse.make(GroupOut(id: id.uuidString.lowercased(), name: body.name, source: "org", members: []),
                                 status: .created)
    }

    func deleteGroup(_ context: Context) async throws -> Response {
        let org = try organizationSlug(context)
        try await authorizeOrganization(context, org, manage: true)
        let orgId = try await organizationId(org)
        let name = context.parameters.get("group") ?? ""
        guard try await guarded({ try await roles.deleteGroup(organization: orgId, name: name) }) else {
            throw APIError.notFound("group \(name) of \(org)")
        }
        return JSONResponse.make(["message": "group \(name) deleted"])
    }

    func setGroupMember(_ context: Context, member: Bool) async throws -> Response {
        let org = try organizationSlug(context)
        try await authorizeOrganization(context, org, manage: true)
        let orgId = try await organizationId(org)
        let name = context.parameters.get("group") ?? ""
        let user = try await namedUser(context)
        guard try await guarded({ try await roles.setGroupMember(organization: orgId, group: name, user: user.id, member: member) }) else {
            throw APIError.notFound("group \(name) of \(org)")
        }
        return JSONResponse.make(["message": member ? "\(user.login) added to \(name)" : "\(user.login) removed from \(name)"])
    }
}
