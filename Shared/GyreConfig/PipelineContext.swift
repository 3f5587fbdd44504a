import Foundation
import GyreModel
import Yams

/// The `pipeline.*` values a config can interpolate, and the resolved
/// top-level pipeline parameters (`pipeline.parameters.x`).
///
/// Without a pipeline (`gyre config process`, standalone validation) stable
/// placeholders stand in: a zero id, number 0, empty git values.
struct PipelineContext {
    var values: [String: String]
    var parameters: [String: Node]

    static let placeholderID = "00000000-0000-0000-0000-000000000000"

    /// True while compiling a setup configuration (`setup: true`).
    var inSetup = false

    init(pipeline: PipelineValues?, parameters: [String: Node], inSetup: Bool = false) {
        self.parameters = parameters
        self.inSetup = inSetup
        guard let pipeline else {
            values = [
                "pipeline.id": Self.placeholderID, "pipeline.number": "0",
                "pipeline.project.git_url": "", "pipeline.project.type": "github",
                "pipeline.git.branch": "", "pipeline.git.tag": "", "pipeline.git.revision": "",
                "pipeline.git.base_revision": "", "pipeline.trigger_source": TriggerSource.api.rawValue,
                "pipeline.project.slug": "", "pipeline.in_setup": String(inSetup),
                "pipeline.schedule.name": "", "pipeline.schedule.id": "",
            ]
            triggerParameters = [:]
            return
        }
        triggerParameters = pipeline.triggerParameters
        values = [
            "pipeline.id": pipeline.id.uuidString.lowercased(),
            "pipeline.number": String(pipeline.number),
            "pipeline.project.git_url": pipeline.projectGitURL,
            "pipeline.project.type": pipeline.projectType,
            "pipeline.git.branch": pipeline.gitBranch ?? "",
            "pipeline.git.tag": pipeline.gitTag ?? "",
            "pipeline.git.revision": pipeline.gitRevision,
            "pipeline.git.base_revision": pipeline.gitBaseRevision ?? "",
            "pipeline.trigger_source": pipeline.triggerSource.rawValue,
            "pipeline.project.slug": pipeline.projectSlug ?? "",
            "pipeline.in_setup": String(inSetup),
            "pipeline.schedule.name": pipeline.scheduledWorkflow ?? "",
            "pipeline.schedule.id": pipeline.scheduledWorkflow.map { Self.scheduleID(slug: pipeline.projectSlug ?? "", workflow: $0) } ?? "",
        ]
    }

    /// The variables of expressions (`filters: pipeline.git.branch == "main"`):
    /// every pipeline value (`pipeline.number` as a number), the known
    /// trigger parameters, and the pipeline parameters with their types.
    var expressionEnvironment: [String: ConfigExpression.Value] {
        var environment: [String: ConfigExpression.Value] = [:]
        for (name, value) in values { environment[name] = .string(value) }
        if let number = values["pipeline.number"].flatMap(Int.init) { environment["pipeline.number"] = .integer(number) }
        environment["pipeline.in_setup"] = .boolean(inSetup)
        for (name, value) in triggerParameters { environment["pipeline.trigger_parameters.\(name)"] = .string(value) }
        for (name, node) in parameters {
            let text = node.scalar?.string ?? ""
            let value: ConfigExpression.Value
            if let scalar = node.scalar, scalar.style == .plain, let flag = Bool(text.lowercased()) {
                value = .boolean(flag)
            } else if let scalar = node.scalar, scalar.style == .plain, let number = Int(text) {
                value = .integer(number)
            } else {
                value = .string(text)
            }
            environment["pipeline.parameters.\(name)"] = value
        }
        return environment
    }

    /// `pipeline.trigger_parameters.*` below that prefix; a parameter the trigger did not carry is empty, as on CircleCI.
    var triggerParameters: [String: String]

    /// A stable id for a project's schedule (its workflow's `triggers: schedule`).
    static func scheduleID(slug: String, workflow: String) -> String {
        let bytes = Array("\(slug)/\(workflow)".utf8)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        let hex = String(hash, radix: 16)
        let padded = String(repeating: "0", count: 16 - hex.count) + hex
        // UUID-shaped, as CircleCI's schedule ids are.
        let chars = Array(padded + padded.reversed())
        return "\(String(chars[0..<8]))-\(String(chars[8..<12]))-\(String(chars[12..<16]))-\(String(chars[16..<20]))-\(String(chars[20..<32]))"
    }

    /// Resolves `pipeline.*` references; leaves the others.
    func resolve(_ name: String) -> Interpolation.Resolution {
        guard name.hasPrefix("pipeline.") else { return .keep }
        if name.hasPrefix("pipeline.parameters.") {
            let parameter = String(name.dropFirst("pipeline.parameters.".count))
            guard let value = parameters[parameter] else {
                return .error("<< \(name) >> refers to the pipeline parameter \"\(parameter)\", which is not "
                    + "declared under the top-level parameters")
            }
            return .value(value)
        }
        if name.hasPrefix("pipeline.trigger_parameters.") {
            let key = String(name.dropFirst("pipeline.trigger_parameters.".count))
            return .value(Interpolation.string(triggerParameters[key] ?? ""))
        }
        guard let value = values[name] else {
            let known = values.keys.sorted().joined(separator: ", ")
            return .error("unknown pipeline value << \(name) >>; expected one of \(known), "
                + "pipeline.trigger_parameters.<name> or pipeline.parameters.<name>")
        }
        return .value(Interpolation.string(value))
    }
}
