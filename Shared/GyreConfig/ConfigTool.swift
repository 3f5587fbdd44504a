import Foundation
import GyreModel
import Yams

/// `gyre config validate` and `gyre config process`, as functions of their
/// inputs so tests can call them without a process: exit code and output.
/// `validate` checks a config's structure and values (a fragment using jobs
/// or registry orbs it does not define is valid); `process` compiles it to a
/// plan, which needs everything it uses.
///
/// Exit codes: 0 the config is valid / compiles; 1 config errors (one `path: message`
/// per line on standard error); 2 the file cannot be read or an option is bad.
public struct ConfigTool: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case yaml, json
    }

    /// What a command printed and how it ended.
    public struct Outcome: Sendable, Equatable {
        public var exitCode: Int32
        public var output: String
        public var errors: String
    }

    public var compiler: ConfigCompiler

    public init(compiler: ConfigCompiler = ConfigCompiler()) {
        self.compiler = compiler
    }

    /// Validates `file` (``ConfigCompiler/validate(yaml:)``): structure and
    /// values, without resolving registry orbs or requiring that every job,
    /// executor and command it uses is defined in the file.
    public func validate(file: String) -> Outcome {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            return Outcome(exitCode: 2, output: "", errors: "cannot read \(file)\n")
        }
        do {
            try compiler.validate(yaml: text)
            return Outcome(exitCode: 0, output: "\(file): valid\n", errors: "")
        } catch {
            return Outcome(exitCode: 1, output: "", errors: error.errors.map { "\($0.description)\n" }.joined())
        }
    }

    /// Compiles `file` and prints the plan. `parametersJSON` is a JSON object
    /// of pipeline parameters; `branch` / `tag` fill `pipeline.git.*`.
    public func process(file: String, parametersJSON: String? = nil, branch: String? = nil, tag: String? = nil,
                        format: Format = .yaml) -> Outcome {
        switch compile(file: file, parametersJSON: parametersJSON, branch: branch, tag: tag) {
        case .failure(let outcome):
            return outcome
        case .success(let plan):
            do {
                return Outcome(exitCode: 0, output: try Self.render(plan, format: format), errors: "")
            } catch {
                return Outcome(exitCode: 2, output: "", errors: "cannot render the plan: \(error)\n")
            }
        }
    }

    public static func render(_ plan: PipelinePlan, format: Format) throws -> String {
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            return String(decoding: try encoder.encode(plan), as: UTF8.self) + "\n"
        case .yaml:
            let encoded = try YAMLEncoder().encode(plan)
            guard let node = try Yams.compose(yaml: encoded) else { return encoded }
            return try Yams.serialize(node: unwrapped(node))
        }
    }

    /// Drops the `_0:` level Swift's synthesized Codable adds for enum cases
    /// with one unnamed value (`run: {_0: {...}}` → `run: {...}`).
    private static func unwrapped(_ node: Node) -> Node {
        switch node {
        case .mapping(let mapping):
            if mapping.count == 1, let only = mapping.first, only.key.string == "_0" {
                return unwrapped(only.value)
            }
            return .mapping(Node.Mapping(mapping.map { ($0.key, unwrapped($0.value)) }))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map(unwrapped)))
        default:
            return node
        }
    }

    private enum Compiled {
        case success(PipelinePlan)
        case failure(Outcome)
    }

    private func compile(file: String, parametersJSON: String?, branch: String?, tag: String?) -> Compiled {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            return .failure(Outcome(exitCode: 2, output: "", errors: "cannot read \(file)\n"))
        }
        var parameters: [String: ParameterValue] = [:]
        if let parametersJSON {
            guard let decoded = try? JSONDecoder().decode([String: ParameterValue].self, from: Data(parametersJSON.utf8))
            else {
                return .failure(Outcome(exitCode: 2, output: "", errors: "--parameters must be a JSON object of "
                    + "strings, numbers and booleans, e.g. '{\"deploy\": true}'\n"))
            }
            parameters = decoded
        }
        var pipeline: PipelineValues?
        if branch != nil || tag != nil {
            pipeline = PipelineValues(id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), number: 0,
                                      projectGitURL: "", gitBranch: branch, gitTag: tag, gitRevision: "")
        }
        do {
            return .success(try compiler.compile(yaml: text, parameters: parameters, pipeline: pipeline))
        } catch {
            let lines = error.errors.map { "\($0.description)\n" }.joined()
            return .failure(Outcome(exitCode: 1, output: "", errors: lines))
        }
    }
}
