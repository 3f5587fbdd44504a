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

    init(pipeline: PipelineValues?, parameters: [String: Node]) {
        self.parameters = parameters
        guard let pipeline else {
            values = [
                "pipeline.id": Self.placeholderID, "pipeline.number": "0",
                "pipeline.project.git_url": "", "pipeline.project.type": "github",
                "pipeline.git.branch": "", "pipeline.git.tag": "", "pipeline.git.revision": "",
                "pipeline.git.base_revision": "", "pipeline.trigger_source": TriggerSource.api.rawValue,
            ]
            return
        }
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
        ]
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
        guard let value = values[name] else {
            let known = values.keys.sorted().joined(separator: ", ")
            return .error("unknown pipeline value << \(name) >>; expected one of \(known) or pipeline.parameters.<name>")
        }
        return .value(Interpolation.string(value))
    }
}
