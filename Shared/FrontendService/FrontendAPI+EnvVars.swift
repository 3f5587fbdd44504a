import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Project environment variables, API v2 (`/project/{slug}/envvar[/{name}]`)
/// and v1.1 (`/project/{vcs}/{org}/{repo}/envvar[/{name}]`). Listings show
/// `xxxx` and the last four characters, as CircleCI does; project admins add
/// and delete; anyone who may view builds lists.
extension FrontendAPI {
    func registerEnvVars(on router: Router<Context>) {
        let v2 = router.group("api/v2/project/:vcs/:org/:repo/envvar")
        v2.get { _, context in try await listEnvVars(context, v11: false) }
        v2.post { request, context in try await createEnvVar(request, context, v11: false) }
        v2.get(":name") { _, context in try await getEnvVar(context, v11: false) }
        v2.delete(":name") { request, context in try await deleteEnvVar(request, context) }
        let v11 = router.group("api/v1.1/project/:vcs/:org/:repo/envvar")
        v11.get { _, context in try await listEnvVars(context, v11: true) }
        v11.post { request, context in try await createEnvVar(request, context, v11: true) }
        v11.get(":name") { _, context in try await getEnvVar(context, v11: true) }
        v11.delete(":name") { request, context in try await deleteEnvVar(request, context) }
    }

    var envVars: ProjectEnvVarStore { ProjectEnvVarStore(database: store.database, secrets: secrets) }

    struct APIEnvVar: Encodable {
        var name: String
        var value: String
        var createdAt: Date?

        enum CodingKeys: String, CodingKey {
            case name, value
            case createdAt = "created-at"
        }

        init(_ record: ProjectVariableRecord, v11: Bool) {
            name = record.name
            value = record.masked
            createdAt = v11 ? nil : record.createdAt
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(name, forKey: .name)
            try container.encode(value, forKey: .value)
            if let createdAt { try container.encode(ISO8601.format(createdAt), forKey: .createdAt) }
        }
    }

    func listEnvVars(_ context: Context, v11: Bool) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        guard try await guarded({ try await store.project(slug) }) != nil else { throw APIError.notFound("project \(slug)") }
        let items = try await guarded { try await envVars.variables(project: slug) }.map { APIEnvVar($0, v11: v11) }
        if v11 { return JSONResponse.make(items) }
        return JSONResponse.make(TokenPage(items: items, next_page_token: nil))
    }

    func getEnvVar(_ context: Context, v11: Bool) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        let name = context.parameters.get("name") ?? ""
        guard let record = try await guarded({ try await envVars.variables(project: slug, name: name) }).first else {
            throw APIError.notFound("environment variable \(name) of project \(slug)")
        }
        return JSONResponse.make(APIEnvVar(record, v11: v11))
    }

    struct EnvVarBody: Decodable {
        var name: String?
        var value: String?
    }

    func createEnvVar(_ request: Request, _ context: Context, v11: Bool) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        let body = try await body(EnvVarBody.self, request, allowEmpty: false)
        let name = body?.name ?? ""
        if let problem = EnvironmentVariableName.problem(name) { throw APIError.badRequest(problem) }
        let value = try Self.checkedValue(body?.value)
        let cause = AuditRequest.cause(request, context: context)
        guard let record = try await guarded({ try await envVars.store(project: slug, name: name, value: value, cause: cause) }) else {
            throw APIError.notFound("project \(slug) (follow it first: POST /api/v1.1/project/\(slug)/follow)")
        }
        relay.notify()
        return JSONResponse.make(APIEnvVar(record, v11: v11), status: v11 ? .ok : .created)
    }

    func deleteEnvVar(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        let name = context.parameters.get("name") ?? ""
        let cause = AuditRequest.cause(request, context: context)
        guard try await guarded({ try await envVars.delete(project: slug, name: name, cause: cause) }) else {
            throw APIError.notFound("environment variable \(name) of project \(slug)")
        }
        relay.notify()
        return JSONResponse.make(Message(message: "Environment variable deleted."))
    }
}
