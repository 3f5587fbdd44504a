import GyreModel
import Yams

/// Checks the config's own definitions even where no workflow uses them, so
/// mistakes show up before a workflow needs them: every job (compiled with
/// its default parameters when it has defaults for all), every executor's
/// shape, and unique job names.
struct DefinitionChecker {
    var version: ConfigVersion
    var scope: Scope
    var diagnostics: Diagnostics
    /// Pipeline values, for step conditions written as expressions.
    var expressions: [String: ConfigExpression.Value] = [:]

    func check(_ root: ConfigMapping) {
        if let jobs = root["jobs"] {
            checkJobs(jobs)
        } else if !root.contains("orbs") && !diagnostics.validating {
            // A config may run only orb jobs.
            _ = root.required("jobs")
        }
        if let commands = root["commands"], !commands.isNull,
           let mapping = commands.mapping(expected: "a mapping of command names to commands") {
            for entry in mapping.entries { checkCommand(entry.value) }
        }
        if let executors = root["executors"], !executors.isNull,
           let mapping = executors.mapping(expected: "a mapping of executor names to executors") {
            for entry in mapping.entries { checkExecutor(entry.value) }
        }
    }

    private func checkJobs(_ node: ConfigNode) {
        guard let mapping = node.mapping(expected: "a mapping of job names to jobs") else { return }
        var namesIgnoringCase: [String: String] = [:]
        for entry in mapping.entries {
            if let other = namesIgnoringCase.updateValue(entry.key, forKey: entry.key.lowercased()) {
                diagnostics.invalid(entry.value.path, "job names must be unique ignoring case; \"\(other)\" is also defined")
            }
            guard let definition = scope.lookup(.job, entry.key) else { continue }
            // Approval and no-op jobs are workflow markers: their other keys are ignored, as on CircleCI.
            if WorkflowCompiler.markerType(of: definition, diagnostics: diagnostics) != nil {
                JobCompiler.checkName(entry.key, version: version, at: definition.node)
                continue
            }
            let specs = ParameterSpec.parse(entry.value.node.mapping != nil ? entry.value.mapping()?["parameters"] : nil)
            // Validation checks every job, with placeholders for parameters that have no default.
            if specs.allSatisfy({ $0.defaultValue != nil }) || diagnostics.validating {
                let invocation = WorkflowCompiler.Invocation(name: entry.key, job: entry.key, node: entry.value)
                var compiler = WorkflowCompiler(version: version, scope: scope, diagnostics: diagnostics)
                compiler.expressions = expressions
                _ = compiler.plan(invocation, allowBranches: true)
            } else {
                JobCompiler.checkName(entry.key, version: version, at: definition.node)
            }
        }
    }

    /// A command definition: known keys, valid parameters and a list of steps.
    private func checkCommand(_ node: ConfigNode) {
        guard let mapping = node.mapping(expected: "a mapping with the command's steps") else { return }
        mapping.rejectUnknownKeys(known: StepExpander.commandKeys, owner: "command")
        _ = ParameterSpec.parse(mapping["parameters"])
        _ = mapping.required("steps")?.sequence(expected: "a list of steps")
    }

    /// An executor definition: exactly one executor kind, and resource classes that fit it.
    private func checkExecutor(_ node: ConfigNode) {
        guard let mapping = node.mapping(expected: "a mapping describing the executor") else { return }
        mapping.rejectUnknownKeys(known: JobExpander.executorBodyKeys.union(["parameters", "description"]),
                                  owner: "executor")
        _ = ParameterSpec.parse(mapping["parameters"])
        let kinds = ExecutorCompiler.executorKeys.filter { $0 != "executor" && mapping.contains($0) }
        guard kinds.count == 1, let kind = kinds.first else {
            diagnostics.invalid(node.path, kinds.isEmpty ? "an executor needs docker, machine, macos or windows"
                : "an executor has exactly one of docker, machine, macos or windows; found " + kinds.joined(separator: ", "))
            return
        }
        let outer = mapping["resource_class"]?.scalarText
        let nested = mapping[kind]?.node.mapping?[Node("resource_class")]?.string
        if outer != nil, nested != nil {
            diagnostics.invalid(node.path.appending("resource_class"), "resource_class is given both here and "
                + "under \(kind); give it once")
        }
        guard let resourceClass = outer ?? nested else { return }
        let path = outer != nil ? node.path.appending("resource_class")
            : node.path.appending(kind).appending("resource_class")
        ExecutorCompiler.checkResourceClass(resourceClass, kind: kind, at: path, diagnostics: diagnostics,
                                            executor: mapping[kind])
    }
}
