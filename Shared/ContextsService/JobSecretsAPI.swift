import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// `GET /internal/v1/jobs/{id}/environment`: the secret environment of one
/// running job, for the build agent that holds its lease (its job token,
/// `Authorization: Bearer …`, valid while the attempt is placed or running).
/// → `200 {"variables": [{"name", "value", "source"}]}`, or `403 {"message",
/// "context"}` when the job may not use one of its contexts (the agent ends
/// it `unauthorized`). Values are never logged.
struct JobSecretsAPI: Sendable {
    typealias Context = GyreRequestContext
    let resolver: JobSecretsStore
    let credentials: StorageStore
    let internalToken: String?

    func register(on router: Router<Context>) {
        router.get("internal/v1/jobs/:id/environment") { request, context in try await environment(request, context) }
    }

    struct Refusal: Encodable {
        var message: String
        var context: String
    }

    func environment(_ request: Request, _ context: Context) async throws -> Response {
        guard let text = context.parameters.get("id"), let job = UUID(uuidString: text) else {
            throw APIError.badRequest("the job id must be a UUID")
        }
        try await authenticate(request, job: job, context: context)
        let resolution = try await APIError.guardingDatabase(logger: context.logger) { try await resolver.resolve(job: job) }
        switch resolution {
        case .environment(let environment):
            context.logger.info("job environment served", metadata: [
                "job": "\(job)", "variables": "\(environment.variables.count)",
            ])
            return JSONResponse.make(environment)
        case .refused(let name, let message):
            context.logger.notice("context refused", metadata: ["job": "\(job)", "context": "\(name)"])
            return JSONResponse.make(Refusal(message: message, context: name), status: .forbidden)
        case .unknownJob:
            throw APIError.notFound("job \(job)")
        }
    }

    func authenticate(_ request: Request, job: UUID, context: Context) async throws {
        guard let token = Self.bearer(request) else {
            throw APIError(.unauthorized, "the contexts service needs the job's token (Authorization: Bearer …), which "
                           + "the build agent gets with each assignment")
        }
        if let internalToken, !internalToken.isEmpty, Credentials.equal(token, internalToken) { return }
        let credential = try await APIError.guardingDatabase(logger: context.logger) {
            try await credentials.jobCredential(token: token)
        }
        guard let credential else {
            throw APIError(.unauthorized, "the job token is not valid: unknown, or its job is no longer running")
        }
        guard credential.job == job else {
            throw APIError(.forbidden, "a job token reaches only its own job's environment")
        }
    }

    static func bearer(_ request: Request) -> String? {
        guard let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") else {
            return nil
        }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
