import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Contexts (API v2 `/context...`, shapes as CircleCI's): an organisation's
/// named sets of secret variables and who may use them. Members of the
/// organisation list contexts and variable names; its admins create,
/// delete, store variables and restrict. Values are never returned.
extension FrontendAPI {
    func registerContexts(on router: Router<Context>) {
        let v2 = router.group("api/v2/context")
        v2.post { request, context in try await createContext(request, context) }
        v2.get { request, context in try await listContexts(request, context) }
        v2.get(":id") { _, context in try await getContext(context) }
        v2.delete(":id") { request, context in try await deleteContext(request, context) }
        v2.get(":id/environment-variable") { request, context in try await listContextVariables(request, context) }
        v2.put(":id/environment-variable/:name") { request, context in try await storeContextVariable(request, context) }
        v2.delete(":id/environment-variable/:name") { request, context in try await deleteContextVariable(request, context) }
        v2.get(":id/restrictions") { _, context in try await listRestrictions(context) }
        v2.post(":id/restrictions") { request, context in try await addRestriction(request, context) }
        v2.delete(":id/restrictions/:restriction") { request, context in try await deleteRestriction(request, context) }
    }

    var contextStore: ContextStore { ContextStore(database: store.database, secrets: secrets) }

    struct APIContext: Encodable {
        var id: UUID
        var name: String
        var created_at: Date
        init(_ record: ContextRecord) {
            id = record.id
            name = record.name
            created_at = record.createdAt
        }
    }

    struct Message: Encodable {
        var message: String
    }

    struct CreateContextBody: Decodable {
        struct Owner: Decodable {
            var id: String?
            var slug: String?
            var type: String?
        }

        var name: String?
        var owner: Owner?
    }

    /// An organisation named by `owner-id` (its UUID) or `owner-slug` (`gh/acme`).
    func owner(id: String?, slug: String?) async throws -> (id: UUID, slug: String) {
        if let id, !id.isEmpty {
            guard let uuid = UUID(uuidString: id) else { throw APIError.badRequest("owner id must be a UUID (an organisation's id)") }
            guard let org = try await guarded({ try await store.organizations() }).first(where: { $0.id == uuid }) else {
                throw APIError.notFound("Organization does not exist.")
            }
            return (org.id, org.slug)
        }
        guard let slug, !slug.isEmpty else {
            throw APIError.badRequest("name the organisation: owner-id (its UUID) or owner-slug (e.g. gh/acme)")
        }
        let normalized = ProjectSlug("\(slug)/x").map { "\($0.vcs)/\($0.org)" } ?? slug
        guard let org = try await guarded({ try await roles.organization(slug: normalized) }) else {
            throw APIError.notFound("Organization does not exist.")
        }
        return (org.id, org.slug)
    }

    /// The context of the route, once the caller may read (or manage) its organisation.
    func routeContext(_ context: Context, manage: Bool) async throws -> ContextRecord {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError.badRequest("context_id is invalid.")
        }
        guard let record = try await guarded({ try await contextStore.context(id) }) else {
            throw APIError.notFound("Context not found.")
        }
        do {
            _ = try await authorizeOrganization(context, record.organization, manage: manage)
        } catch let error as APIError where error.status == .forbidden && !manage {
            throw APIError.notFound("Context not found.")
        }
        return record
    }

    func createContext(_ request: Request, _ context: Context) async throws -> Response {
        guard let body = try await body(CreateContextBody.self, request, allowEmpty: false),
              let name = body.name?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
            throw APIError.badRequest("give {\"name\": \"deploy\", \"owner\": {\"slug\": \"gh/acme\"}} (or owner id)")
        }
        guard name.count <= 200, !name.contains(where: { $0.isNewline }) else {
            throw APIError.badRequest("a context name is one line of at most 200 characters")
        }
        if let type = body.owner?.type, type != "organization" {
            throw APIError.badRequest("contexts belong to organisations here (owner type organization)")
        }
        let org = try await owner(id: body.owner?.id, slug: body.owner?.slug)
        _ = try await authorizeOrganization(context, org.slug, manage: true)
        let cause = AuditRequest.cause(request, context: context)
        switch try await guarded({ try await contextStore.create(organization: org.id, name: name, cause: cause) }) {
        case .created(let record):
            relay.notify()
            return JSONResponse.make(APIContext(record))
        case .exists:
            throw APIError(.conflict, "a context named \(name) already exists in \(org.slug)")
        }
    }

    func listContexts(_ request: Request, _ context: Context) async throws -> Response {
        let parameters = request.uri.queryParameters
        let org = try await owner(id: parameters.get("owner-id").map { String($0) }, slug: parameters.get("owner-slug").map { String($0) })
        _ = try await authorizeOrganization(context, org.slug, manage: false)
        let offset = try offset(request)
        let rows = try await guarded {
            try await contextStore.contexts(organization: org.id, offset: offset, limit: Self.pageSize + 1)
        }
        return JSONResponse.make(TokenPage(items: rows.prefix(Self.pageSize).map(APIContext.init),
                                             next_page_token: rows.count > Self.pageSize ? String(offset + Self.pageSize) : nil))
    }

    func getContext(_ context: Context) async throws -> Response {
        JSONResponse.make(APIContext(try await routeContext(context, manage: false)))
    }

    func deleteContext(_ request: Request, _ context: Context) async throws -> Response {
        let record = try await routeContext(context, manage: true)
        let cause = AuditRequest.cause(request, context: context)
        guard try await guarded({ try await contextStore.delete(record.id, cause: cause) }) else {
            throw APIError.notFound("Context not found.")
        }
        relay.notify()
        return JSONResponse.make(Message(message: "Context deleted."))
    }

    struct APIContextVariable: Encodable {
        var variable: String
        var created_at: Date
        var updated_at: Date
        var context_id: UUID
        init(_ record: ContextVariableRecord) {
            variable = record.name
            created_at = record.createdAt
            updated_at = record.updatedAt
            context_id = record.contextId
        }
    }

    func listContextVariables(_ request: Request, _ context: Context) async throws -> Response {
        let record = try await routeContext(context, manage: false)
        let offset = try offset(request)
        let rows = try await guarded {
            try await contextStore.variables(context: record.id, offset: offset, limit: Self.pageSize + 1)
        }
        return JSONResponse.make(TokenPage(items: rows.prefix(Self.pageSize).map(APIContextVariable.init),
                                             next_page_token: rows.count > Self.pageSize ? String(offset + Self.pageSize) : nil))
    }

    struct ValueBody: Decodable {
        var value: String?
    }

    /// A variable's name from the route, checked.
    func variableName(_ context: Context) throws -> String {
        let name = context.parameters.get("name") ?? ""
        if let problem = EnvironmentVariableName.problem(name) { throw APIError.badRequest(problem) }
        return name
    }

    /// A variable's value from a request, checked (never echoed in errors).
    static func checkedValue(_ value: String?) throws -> String {
        guard let value else { throw APIError.badRequest("give {\"value\": \"...\"}") }
        guard value.utf8.count <= EnvironmentVariableName.maxValueBytes else {
            throw APIError(.contentTooLarge, "an environment variable's value is at most \(EnvironmentVariableName.maxValueBytes) bytes")
        }
        return value
    }

    func storeContextVariable(_ request: Request, _ context: Context) async throws -> Response {
        let record = try await routeContext(context, manage: true)
        let name = try variableName(context)
        let value = try Self.checkedValue(try await body(ValueBody.self, request, allowEmpty: false)?.value)
        let cause = AuditRequest.cause(request, context: context)
        guard let stored = try await guarded({
            try await contextStore.store(context: record, name: name, value: value, cause: cause)
        }) else { throw APIError.notFound("Context not found.") }
        relay.notify()
        return JSONResponse.make(APIContextVariable(stored))
    }

    func deleteContextVariable(_ request: Request, _ context: Context) async throws -> Response {
        let record = try await routeContext(context, manage: true)
        let name = context.parameters.get("name") ?? ""
        let cause = AuditRequest.cause(request, context: context)
        guard try await guarded({ try await contextStore.deleteVariable(context: record, name: name, cause: cause) }) else {
            throw APIError.notFound("context \(record.name) has no environment variable \(name)")
        }
        relay.notify()
        return JSONResponse.make(Message(message: "Environment variable deleted."))
    }

    struct APIRestriction: Encodable {
        var id: UUID
        var context_id: UUID
        var project_id: UUID?
        var name: String
        var restriction_type: String
        var restriction_value: String
        init(_ record: ContextRestrictionRecord) {
            id = record.id
            context_id = record.contextId
            project_id = record.type == .project ? UUID(uuidString: record.value) : nil
            name = record.name
            restriction_type = record.type.rawValue
            restriction_value = record.value
        }
    }

    func listRestrictions(_ context: Context) async throws -> Response {
        let record = try await routeContext(context, manage: false)
        let rows = try await guarded { try await contextStore.restrictions(context: record.id) }
        return JSONResponse.make(TokenPage(items: rows.map(APIRestriction.init), next_page_token: nil))
    }

    struct RestrictionBody: Decodable {
        var restriction_type: String?
        var restriction_value: String?
        var project_id: String?
    }

    func addRestriction(_ request: Request, _ context: Context) async throws -> Response {
        let record = try await routeContext(context, manage: true)
        let body = try await body(RestrictionBody.self, request, allowEmpty: false)
        let typeText = body?.restriction_type ?? (body?.project_id != nil ? "project" : "")
        guard let type = ContextAccess.RestrictionType(rawValue: typeText) else {
            throw APIError.badRequest("restriction_type must be project, group or expression")
        }
        guard let raw = (body?.restriction_value ?? body?.project_id)?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
            throw APIError.badRequest("give restriction_value: a project's id, a group's id or name, or an expression")
        }
        let (value, name) = try await restrictionTarget(type, raw, organization: record.organizationId)
        let cause = AuditRequest.cause(request, context: context)
        guard let stored = try await guarded({
            try await contextStore.restrict(context: record, type: type, value: value, name: name, cause: cause)
        }) else {
            throw APIError(.conflict, "The restriction you're trying to add already exists.")
        }
        relay.notify()
        return JSONResponse.make(APIRestriction(stored), status: .created)
    }

    /// What a restriction stores: a project's id (and slug), a group's id (and name), or a parsed expression.
    func restrictionTarget(_ type: ContextAccess.RestrictionType, _ raw: String, organization: UUID) async throws -> (String, String) {
        switch type {
        case .project:
            let slug = ProjectSlug(raw)?.description ?? raw
            guard let project = try await guarded({ try await contextStore.project(idOrSlug: slug) }),
                  project.organization == organization else {
                throw APIError.badRequest("Project does not exist, or user does not have access to this project.")
            }
            return (project.id.uuidString.lowercased(), project.slug)
        case .group:
            let groups = try await guarded { try await roles.groups(organization: organization) }
            guard let group = groups.first(where: { $0.id.uuidString.lowercased() == raw.lowercased() || $0.name == raw }) else {
                throw APIError.badRequest("no group \(raw) in this organisation (its groups: "
                                          + "\(groups.map(\.name).joined(separator: ", ")); LDAP groups appear once a member signs in)")
            }
            return (group.id.uuidString.lowercased(), group.name)
        case .expression:
            do {
                _ = try ConfigExpression.parse(raw)
            } catch {
                throw APIError.badRequest("the expression does not parse: \(error.description)")
            }
            return (raw, "")
        }
    }

    func deleteRestriction(_ request: Request, _ context: Context) async throws -> Response {
        let record = try await routeContext(context, manage: true)
        guard let text = context.parameters.get("restriction"), let id = UUID(uuidString: text) else {
            throw APIError.badRequest("restriction_id is invalid.")
        }
        let cause = AuditRequest.cause(request, context: context)
        guard try await guarded({ try await contextStore.unrestrict(context: record, restriction: id, cause: cause) }) else {
            throw APIError.notFound("context \(record.name) has no restriction \(id)")
        }
        relay.notify()
        return JSONResponse.make(Message(message: "Context restriction deleted."))
    }
}
