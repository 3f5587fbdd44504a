import GyreModel

/// Compiles `workflows` into ``WorkflowPlan``s: which jobs run, under which
/// names, after which others.
///
/// Each entry of a workflow's `jobs` list is a job name, or a mapping of a job
/// name to its options (`requires`, `name`). Paths of those options leave out
/// the job-name key: `workflows.main.jobs[1].requires[0]`.
struct WorkflowCompiler {
    var version: ConfigVersion
    /// Every job under `jobs`, by name; nil for one that had problems.
    var jobs: [String: JobPlan?]
    /// Every name under `jobs`.
    var definedJobs: Set<String>

    /// The workflow that runs the `build` job when a config has no workflows.
    static let defaultWorkflowName = "workflow"
    static let defaultJobName = "build"

    static let workflowKeys: Set<String> = ["jobs"]
    static let jobOptionKeys: Set<String> = ["requires", "name", "type"]
    static let requiredStatuses: Set<String> = ["success", "failed", "canceled"]

    /// One job invocation in a workflow, before it is turned into a plan.
    private struct Invocation {
        /// Unique in the workflow: the `name:` option, or the job's name.
        var name: String
        var job: String
        var requires: [(name: String, node: ConfigNode)] = []
        /// The entry in the workflow's `jobs` list.
        var node: ConfigNode
        var isApproval = false
    }

    /// The workflows in file order (the `version` key is skipped), or nil if
    /// `workflows` is not a mapping. Workflows with problems are left out.
    func compile(_ node: ConfigNode) -> [WorkflowPlan]? {
        guard let workflows = node.mapping(expected: "a mapping of workflow names to workflows") else { return nil }
        return workflows.entries.filter { $0.key != "version" }.compactMap { compile(name: $0.key, $0.value) }
    }

    /// Without workflows, the job named `build` runs alone in a workflow named
    /// `workflow`; nil after reporting when there is no such job.
    func compileDefault(root: ConfigMapping) -> [WorkflowPlan]? {
        guard let build = jobs[Self.defaultJobName] else {
            // Without a `jobs` key at all, that is reported already.
            if root.contains("jobs") {
                root.node.diagnostics.invalid(root.node.path.appending("jobs"), "there are no workflows, so the job "
                    + "named \"\(Self.defaultJobName)\" would run, but there is no such job; add it or add workflows")
            }
            return nil
        }
        guard let build else { return nil }
        return [WorkflowPlan(name: Self.defaultWorkflowName,
                             jobs: [WorkflowJobPlan(name: Self.defaultJobName, requires: [], job: build)])]
    }

    private func compile(name workflow: String, _ node: ConfigNode) -> WorkflowPlan? {
        let before = node.diagnostics.count
        guard let mapping = node.mapping(expected: "a mapping with jobs") else { return nil }
        mapping.rejectUnknownKeys(known: Self.workflowKeys, unsupported: UnsupportedFeatures.workflowKeys,
                                  owner: "workflow")
        guard let jobsNode = mapping.required("jobs"),
              let entries = jobsNode.sequence(expected: "a list of jobs") else { return nil }
        guard !entries.isEmpty else {
            node.diagnostics.invalid(jobsNode.path, "a workflow needs at least one job")
            return nil
        }
        let invocations = entries.flatMap(readInvocations)
        checkUnique(invocations, workflow: workflow)
        let edges = checkRequires(invocations, workflow: workflow)
        checkCycles(invocations, edges: edges, at: jobsNode)

        guard node.diagnostics.count == before else { return nil }
        let planned = invocations.compactMap { invocation in
            jobs[invocation.job].flatMap { $0 }.map {
                WorkflowJobPlan(name: invocation.name, requires: invocation.requires.map(\.name), job: $0)
            }
        }
        guard planned.count == invocations.count else { return nil }
        return WorkflowPlan(name: workflow, jobs: planned)
    }

    // MARK: - Entries

    /// The invocations of one `jobs` entry (normally one; a mapping entry with
    /// several job names gives one for each).
    private func readInvocations(_ entry: ConfigNode) -> [Invocation] {
        switch entry.node {
        case .scalar where !entry.isNull:
            guard let job = entry.nonEmptyString(expected: "a job name") else { return [] }
            checkDefined(job, at: entry)
            return [Invocation(name: job, job: job, node: entry)]
        case .mapping:
            guard let mapping = entry.mapping() else { return [] }
            if mapping.isEmpty { entry.reportExpected("a job name, or a mapping of a job name to its options") }
            return mapping.entries.compactMap { item in
                // Options are addressed as if the job-name key were not there.
                invocation(job: item.key, options: ConfigNode(item.value.node, path: entry.path,
                                                              diagnostics: entry.diagnostics), entry: entry)
            }
        default:
            entry.reportExpected("a job name, or a mapping of a job name to its options")
            return []
        }
    }

    private func invocation(job: String, options node: ConfigNode, entry: ConfigNode) -> Invocation? {
        var invocation = Invocation(name: job, job: job, node: entry)
        if !node.isNull {
            guard let options = node.mapping(expected: "a mapping of job options such as requires and name") else {
                return nil
            }
            for unknown in options.unknownEntries(known: Self.jobOptionKeys,
                                                  unsupported: UnsupportedFeatures.workflowJobKeys) {
                if version == .v2_1 {
                    unknown.value.diagnostics.unsupported(
                        unknown.value.path, feature: "passing the job parameter \"\(unknown.key)\" (parameters)")
                } else {
                    unknown.value.diagnostics.invalid(unknown.value.path, "unknown workflow job key \"\(unknown.key)\"")
                }
            }
            if let alias = options["name"]?.nonEmptyString() { invocation.name = alias }
            if let type = options["type"] { invocation.isApproval = checkType(type) }
            if let requires = options["requires"] { invocation.requires = self.requires(requires) }
        }
        if !invocation.isApproval { checkDefined(job, at: entry) }
        return invocation
    }

    private func checkDefined(_ job: String, at entry: ConfigNode) {
        guard !definedJobs.contains(job) else { return }
        if job.contains("/") {
            entry.diagnostics.unsupported(entry.path, feature: "the orb job \"\(job)\" (orbs)")
        } else {
            entry.diagnostics.invalid(entry.path, "job \"\(job)\" is not defined under jobs")
        }
    }

    /// True for `type: approval` (reported as unsupported); other types are invalid.
    private func checkType(_ node: ConfigNode) -> Bool {
        guard let type = node.string() else { return false }
        guard type == "approval" else {
            node.diagnostics.invalid(node.path, "unknown job type \"\(type)\"; the only type is approval")
            return false
        }
        node.diagnostics.unsupported(node.path, feature: "type: approval")
        return true
    }

    /// The names in `requires`, without repeats. An entry may also be
    /// `name: status` (or a list of statuses), which is not supported yet.
    private func requires(_ node: ConfigNode) -> [(name: String, node: ConfigNode)] {
        guard let elements = node.sequence(expected: "a list of job names") else { return [] }
        var result: [(name: String, node: ConfigNode)] = []
        for element in elements {
            let name: String?
            if case .mapping = element.node {
                name = requirementWithStatus(element)
            } else {
                name = element.nonEmptyString(expected: "a job name")
            }
            if let name, !result.contains(where: { $0.name == name }) {
                result.append((name, element))
            }
        }
        return result
    }

    private func requirementWithStatus(_ node: ConfigNode) -> String? {
        guard let mapping = node.mapping(), mapping.entries.count == 1, let entry = mapping.entries.first else {
            node.reportExpected("a job name, or a job name with a status")
            return nil
        }
        let statuses: [ConfigNode]
        if case .sequence = entry.value.node {
            statuses = entry.value.sequence() ?? []
        } else {
            statuses = [entry.value]
        }
        var valid = true
        for status in statuses {
            guard let text = status.string(expected: "a job status") else { valid = false; continue }
            if !Self.requiredStatuses.contains(text) {
                status.diagnostics.invalid(status.path, "unknown job status \"\(text)\"; expected success, failed or canceled")
                valid = false
            }
        }
        if valid {
            node.diagnostics.unsupported(node.path, feature: "requires with a job status")
        }
        return entry.key
    }

    // MARK: - Graph checks

    private func checkUnique(_ invocations: [Invocation], workflow: String) {
        var seen: Set<String> = []
        for invocation in invocations where !seen.insert(invocation.name).inserted {
            invocation.node.diagnostics.invalid(invocation.node.path, "duplicate job name \"\(invocation.name)\" in "
                + "workflow \"\(workflow)\"; give each use of a job a unique name with name:")
        }
    }

    /// Reports requirements that name no job of the workflow; returns the
    /// graph of the others (invocation index → indices it requires).
    private func checkRequires(_ invocations: [Invocation], workflow: String) -> [[Int]] {
        var indexByName: [String: Int] = [:]
        for (index, invocation) in invocations.enumerated() where indexByName[invocation.name] == nil {
            indexByName[invocation.name] = index
        }
        return invocations.map { invocation in
            invocation.requires.compactMap { requirement in
                guard let index = indexByName[requirement.name] else {
                    requirement.node.diagnostics.invalid(requirement.node.path,
                        "requires job \"\(requirement.name)\", which is not in workflow \"\(workflow)\"")
                    return nil
                }
                return index
            }
        }
    }

    private func checkCycles(_ invocations: [Invocation], edges: [[Int]], at node: ConfigNode) {
        for cycle in CycleFinder.cycles(in: edges) {
            let names = cycle.map { "\"\(invocations[$0].name)\"" }
            if names.count == 1, let name = names.first {
                node.diagnostics.invalid(node.path, "job \(name) requires itself")
            } else {
                node.diagnostics.invalid(node.path, "jobs " + names.joined(separator: ", ")
                    + " require each other in a cycle")
            }
        }
    }
}
