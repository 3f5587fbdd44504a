import GyreModel

/// Compiles one job under `jobs` into a ``JobPlan``.
struct JobCompiler {
    var version: ConfigVersion

    /// `executor` and `parameters` are resolved by ``JobExpander`` before this
    /// sees the job; `branches` is read by ``WorkflowCompiler``; `description`
    /// and `circleci_ip_ranges` are accepted and have no effect.
    static let keys: Set<String> = [
        "docker", "machine", "macos", "windows", "resource_class", "branches",
        "environment", "working_directory", "shell", "parallelism", "steps", "description", "circleci_ip_ranges",
        "type",
    ]

    static let defaultWorkingDirectory = "~/project"

    /// The job named `name` at `node`, or nil after reporting its problems.
    /// `expandedSteps` (from ``StepExpander``, each at the path it was written
    /// at) replace the job's `steps` list when given.
    func compile(_ node: ConfigNode, name: String, expandedSteps: [ConfigNode]? = nil) -> JobPlan? {
        let before = node.diagnostics.count
        Self.checkName(name, version: version, at: node)
        guard let job = node.mapping(expected: "a mapping describing the job") else { return nil }
        if version == .v2_0 {
            // The version 2 schema lets a job carry other keys; an empty one (a stray `build:`) is ignored.
            for entry in job.unknownEntries(known: Self.keys, unsupported: [:]) where !entry.value.isNull {
                node.diagnostics.invalid(entry.value.path, "unknown job key \"\(entry.key)\"")
            }
        } else {
            job.rejectUnknownKeys(known: Self.keys, owner: "job")
        }

        let executor = ExecutorCompiler().compile(job: job, name: name)
        let environment = job["environment"].map { EnvironmentCompiler().compile($0) } ?? []
        let workingDirectory = job["working_directory"]?.nonEmptyString() ?? Self.defaultWorkingDirectory
        // The job's (or its executor's) `shell` wins over `machine: {shell}` / `macos: {shell}`:
        // CircleCI's keys in a job override those of the executor it uses.
        let shell = job["shell"]?.nonEmptyString() ?? executor?.shell
        let parallelism = job["parallelism"].flatMap(readParallelism) ?? 1
        let steps = job.required("steps").flatMap { readSteps($0, expanded: expandedSteps) } ?? []

        guard let executor, node.diagnostics.count == before else { return nil }
        return JobPlan(executor: executor.executor, environment: environment, workingDirectory: workingDirectory,
                       shell: shell, resourceClass: executor.resourceClass, parallelism: parallelism, steps: steps)
    }

    /// 2.1 job names start with a letter and use letters, digits, spaces, `_` and `-`.
    static func checkName(_ name: String, version: ConfigVersion, at node: ConfigNode) {
        guard version == .v2_1 else { return }
        guard Self.isValidName(name) else {
            node.diagnostics.invalid(node.path, "invalid job name \"\(name)\"; a job name starts with a letter and "
                + "contains only letters, digits, spaces, _ and -")
            return
        }
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || $0.isWhitespace) }
    }

    private func readParallelism(_ node: ConfigNode) -> Int? {
        guard let value = node.integer(expected: "a positive integer") else { return nil }
        guard value >= 1 else {
            node.diagnostics.invalid(node.path, "parallelism must be a positive integer, found \(value)")
            return nil
        }
        return value
    }

    private func readSteps(_ node: ConfigNode, expanded: [ConfigNode]?) -> [StepPlan]? {
        guard let elements = expanded ?? node.sequence(expected: "a list of steps") else { return nil }
        guard !elements.isEmpty else {
            node.diagnostics.invalid(node.path, "a job needs at least one step")
            return nil
        }
        let compiler = StepCompiler(version: version)
        let steps = elements.map(compiler.compile)
        return steps.contains(where: { $0 == nil }) ? nil : steps.compactMap { $0 }
    }
}
