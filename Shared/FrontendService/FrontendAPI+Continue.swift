import Foundation
import GyreConfig
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Dynamic configuration: `POST /api/v2/pipeline/continue`, called by a
/// setup workflow's job with its `CIRCLE_CONTINUATION_KEY`.
extension FrontendAPI {
    func registerContinuation(on router: Router<Context>) {
        router.post("api/v2/pipeline/continue") { request, context in try await continuePipeline(request, context) }
    }

    struct ContinueBody: Decodable {
        var key: String?
        var configuration: String?
        var parameters: [String: GyreModel.ParameterValue]?
        /// Gyre's extension: more configurations merged over `configuration`
        /// (the path-filtering orb's 4-column mappings).
        var configurations: [String]?

        enum CodingKeys: String, CodingKey {
            case key = "continuation-key", configuration, parameters, configurations
        }
    }

    func continuePipeline(_ request: Request, _ context: Context) async throws -> Response {
        guard let body = try await body(ContinueBody.self, request, allowEmpty: false) else {
            throw APIError.badRequest("give {\"continuation-key\": ..., \"configuration\": ..., \"parameters\": {...}}")
        }
        guard let key = body.key, !key.isEmpty, key.count <= 256 else {
            throw APIError.badRequest("continuation-key is missing: send the job's CIRCLE_CONTINUATION_KEY")
        }
        guard var configuration = body.configuration, !configuration.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else {
            throw APIError.badRequest("configuration is missing or empty: send the YAML text of the configuration to continue with")
        }
        if let more = body.configurations, !more.isEmpty {
            guard more.count <= 100 else { throw APIError.badRequest("configurations: at most 100") }
            do {
                configuration = try ConfigMerge.merge([configuration] + more)
            } catch {
                throw APIError.badRequest("the configurations cannot be merged: \(error.errors.first?.description ?? "")")
            }
        }
        let parameters = body.parameters ?? [:]
        try Self.checkParameters(parameters)
        do {
            try ConfigCompiler().validate(yaml: configuration)
        } catch {
            let first = error.errors.prefix(5).map(\.description).joined(separator: "; ")
            throw APIError.badRequest("the configuration is not valid: \(first)")
        }
        if Self.declaresSetup(configuration) {
            throw APIError.badRequest("a configuration that continues a pipeline cannot itself be a setup configuration: "
                                      + "remove setup: true (a pipeline has one setup phase)")
        }
        let outcome = try await guarded {
            try await store.continuePipeline(key: key, configuration: configuration, parameters: parameters)
        }
        switch outcome {
        case .accepted:
            relay.notify()
            return JSONResponse.make(["message": "Success"])
        case .unknownKey:
            throw APIError(.unauthorized, "the continuation key is not valid: use the CIRCLE_CONTINUATION_KEY of a job "
                           + "in the pipeline's setup workflow")
        case .alreadyContinued(let id):
            throw APIError(.conflict, "pipeline \(id.uuidString.lowercased()) has already been continued; "
                           + "a pipeline continues once")
        case .setupEnded(let id):
            throw APIError(.conflict, "pipeline \(id.uuidString.lowercased()) can no longer be continued: its setup "
                           + "workflow has ended")
        }
    }

    /// The API's limits: 100 parameters, names up to 128 and values up to 512 characters.
    static func checkParameters(_ parameters: [String: GyreModel.ParameterValue]) throws {
        guard parameters.count <= 100 else { throw APIError.badRequest("parameters: at most 100 entries") }
        for (name, value) in parameters {
            guard !name.isEmpty, name.count <= 128 else {
                throw APIError.badRequest("parameters: \"\(name.prefix(40))\" is not a name of 1 to 128 characters")
            }
            guard value.description.count <= 512 else {
                throw APIError.badRequest("parameters.\(name): values are at most 512 characters")
            }
        }
    }

    /// `setup: true` at the top level of the text (the compiler checks again when it processes it).
    static func declaresSetup(_ configuration: String) -> Bool {
        configuration.split(whereSeparator: \.isNewline).contains { line in
            guard line.hasPrefix("setup:") else { return false }
            let value = line.dropFirst("setup:".count).split(separator: "#").first?
                .trimmingCharacters(in: .whitespaces).lowercased() ?? ""
            return ["true", "yes", "on"].contains(value)
        }
    }
}
