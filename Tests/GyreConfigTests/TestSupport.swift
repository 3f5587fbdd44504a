import GyreConfig
import GyreModel
import Testing

/// Compiles `yaml`, expecting success; records an issue and returns nil otherwise.
func compilePlan(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> PipelinePlan? {
    do {
        return try ConfigCompiler().compile(yaml: yaml)
    } catch {
        Issue.record("expected a plan, got errors:\n\(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Compiles `yaml`, expecting failure; records an issue and returns [] otherwise.
func compileErrors(_ yaml: String, sourceLocation: SourceLocation = #_sourceLocation) -> [ConfigError] {
    do {
        let plan = try ConfigCompiler().compile(yaml: yaml)
        Issue.record("expected errors, got a plan: \(plan)", sourceLocation: sourceLocation)
        return []
    } catch {
        return error.errors
    }
}

/// The only job of the only workflow.
func singleJob(_ plan: PipelinePlan?) -> JobPlan? {
    plan?.workflows.first?.jobs.first?.job
}

extension Array where Element == ConfigError {
    /// "code path: message" lines, for readable failure output.
    var summary: String { map { "\($0.code) \($0.path): \($0.message)" }.joined(separator: "\n") }

    func first(at path: String) -> ConfigError? { first { $0.path == path } }
}

/// The commands of a job's run steps, in order.
func runStepCommands(_ job: JobPlan?) -> [String] {
    (job?.steps ?? []).compactMap { step in
        if case .run(let run) = step { return run.command }
        return nil
    }
}

/// The job named `name` in the first workflow.
func jobNamed(_ plan: PipelinePlan?, _ name: String) -> JobPlan? {
    plan?.workflows.first?.jobs.first { $0.name == name }?.job
}
