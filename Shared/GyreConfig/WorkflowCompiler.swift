import GyreModel
import Yams

/// Compiles `workflows` into ``WorkflowPlan``s: which jobs run, under which
/// names, after which others, with which parameters, contexts and filters.
///
/// Each entry of a workflow's `jobs` list is a job name, or a mapping of a job
/// name to its options (`requires`, `name`, `type`, `context`, `filters`,
/// `matrix`, `pre-steps`, `post-steps`, and in 2.1 the job's parameters).
/// Paths of those options leave out the job-name key:
/// `workflows.main.jobs[1].requires[0]`.
struct WorkflowCompiler {
    var version: ConfigVersion
    var scope: Scope
    var diagnostics: Diagnostics
    /// The variables of `filters` expressions (pipeline values and parameters).
    var expressions: [String: ConfigExpression.Value] = [:]

    /// The workflow that runs the `build` job when a config has no workflows.
    static let defaultWorkflowName = "workflow"
    static let defaultJobName = "build"

    static let workflowKeys: Set<String> = ["jobs", "triggers", "when", "unless"]
    static let jobOptionKeys: Set<String> = [
        "requires", "name", "type", "context", "filters", "matrix", "pre-steps", "post-steps", "serial-group",
        "override-with",
    ]
    static let requiredStatuses: Set<String> = ["success", "failed", "canceled"]

    /// One job invocation in a workflow, before it is turned into a plan.
    struct Invocation {
        /// Unique in the workflow: the `name:` option, the matrix name, or the job's name.
        var name: String
        var job: String
        var requires: [(name: String, node: ConfigNode)] = []
        /// Statuses other than success a requirement may end with, by requirement name.
        var requiredStatuses: [String: [JobStatus]] = [:]
        /// The entry in the workflow's `jobs` list.
        var node: ConfigNode
        /// `type: approval` or `type: no-op` (in the workflow or the job's definition); nil for a build job.
        var marker: WorkflowJobType?
        var isApproval: Bool { marker == .approval }
        var contexts: [String] = []
        var filters: JobFilters?
        /// `serial-group:` (pipeline values already interpolated).
        var serialGroup: String?
        var arguments: [ConfigMapping.Entry] = []
        var preSteps: ConfigNode?
        var postSteps: ConfigNode?
        /// The matrix alias this invocation belongs to.
        var alias: String?
    }

    /// The workflows in file order (the `version` key is skipped), or nil if
    /// `workflows` is not a mapping. Workflows with problems, and those whose
    /// `when`/`unless` rules them out, are left out.
    func compile(_ node: ConfigNode) -> [WorkflowPlan]? {
        guard let workflows = node.mapping(expected: "a mapping of workflow names to workflows") else { return nil }
        return workflows.entries.filter { $0.key != "version" }.compactMap { compile(name: $0.key, $0.value) }
    }

    /// Without workflows, the job named `build` runs alone in a workflow named
    /// `workflow`; nil after reporting when there is no such job.
    func compileDefault(root: ConfigMapping) -> [WorkflowPlan]? {
        guard let definition = scope.lookup(.job, Self.defaultJobName) else {
            if root.contains("jobs") {
                diagnostics.unresolved(root.node.path.appending("jobs"), "there are no workflows, so the job "
                    + "named \"\(Self.defaultJobName)\" would run, but there is no such job; add it or add workflows")
            }
            return nil
        }
        var invocation = Invocation(name: Self.defaultJobName, job: Self.defaultJobName, node: definition.node)
        // Without workflows, a job-level `branches` filter (2.0) decides which branches build.
        if let branches = Self.jobBranches(definition) {
            guard let filter = FilterCompiler().patternFilter(branches) else { return nil }
            invocation.filters = JobFilters(branches: filter)
        }
        guard let job = plan(invocation, allowBranches: true) else { return nil }
        return [WorkflowPlan(name: Self.defaultWorkflowName,
                             jobs: [WorkflowJobPlan(name: Self.defaultJobName, requires: [], job: job,
                                                    filters: invocation.filters)])]
    }

    private func compile(name workflow: String, _ node: ConfigNode) -> WorkflowPlan? {
        let before = diagnostics.count
        guard let mapping = node.mapping(expected: "a mapping with jobs") else { return nil }
        // Validation checks every workflow, whatever its condition.
        let validating = diagnostics.validating
        // Validating, values are placeholders: a `when:` expression is left to processing.
        let logic = LogicStatement(expressions: validating ? nil : expressions)
        if let when = mapping["when"], let value = logic.evaluate(when), !value, !validating { return nil }
        if let unless = mapping["unless"], let value = logic.evaluate(unless), value, !validating { return nil }
        guard diagnostics.count == before else { return nil }
        mapping.rejectUnknownKeys(known: Self.workflowKeys, owner: "workflow")

        let triggers = mapping["triggers"].flatMap { FilterCompiler().triggers($0) } ?? []
        if validating && !mapping.contains("jobs") { return nil }
        guard let jobsNode = mapping.required("jobs"),
              let entries = jobsNode.sequence(expected: "a list of jobs") else { return nil }
        guard !entries.isEmpty else {
            diagnostics.invalid(jobsNode.path, "a workflow needs at least one job")
            return nil
        }
        let reader = WorkflowJobReader(version: version, scope: scope, expressions: expressions)
        var invocations = entries.flatMap(reader.invocations)
        checkUnique(invocations, workflow: workflow)
        let edges = resolveRequires(&invocations, workflow: workflow, brokenNames: Self.brokenOrbJobNames(entries, scope: scope))
        checkCycles(invocations, edges: edges, at: jobsNode)
        guard diagnostics.count == before else { return nil }

        let planned = invocations.compactMap { invocation -> WorkflowJobPlan? in
            let requires = invocation.requires.map(\.name)
            if let marker = invocation.marker {
                return WorkflowJobPlan(name: invocation.name, requires: requires, type: marker, job: nil,
                                       contexts: invocation.contexts, filters: invocation.filters,
                                       requiredStatuses: invocation.requiredStatuses)
            }
            return plan(invocation).map {
                WorkflowJobPlan(name: invocation.name, requires: requires, job: $0,
                                contexts: invocation.contexts, filters: invocation.filters,
                                requiredStatuses: invocation.requiredStatuses, serialGroup: invocation.serialGroup)
            }
        }
        guard planned.count == invocations.count, diagnostics.count == before else { return nil }
        return WorkflowPlan(name: workflow, jobs: planned, triggers: triggers)
    }

    /// The marker type a job definition declares (`type: approval` or
    /// `type: no-op`); nil for a build job. Types this server has no meaning
    /// for (`release`, `lock`, `unlock`) are reported as not supported.
    static func markerType(of definition: Scope.Definition, diagnostics: Diagnostics) -> WorkflowJobType? {
        guard definition.node.node.mapping != nil, let node = definition.node.mapping()?["type"],
              let type = node.string() else { return nil }
        switch type {
        case "build": return nil
        case "approval": return .approval
        case "no-op": return .noOp
        case "release", "lock", "unlock":
            diagnostics.unsupported(node.path, feature: "job type \(type)")
            return nil
        default:
            diagnostics.invalid(node.path, "unknown job type \"\(type)\"; expected build, approval or no-op")
            return nil
        }
    }

    /// The `branches` key of a job definition.
    static func jobBranches(_ definition: Scope.Definition) -> ConfigNode? {
        guard definition.node.node.mapping != nil else { return nil }
        return definition.node.mapping()?["branches"]
    }

    /// The job an invocation runs, expanded and compiled; nil after reporting.
    /// A job-level `branches` filter is refused unless `allowBranches` (no workflows).
    func plan(_ invocation: Invocation, allowBranches: Bool = false) -> JobPlan? {
        guard let definition = scope.lookup(.job, invocation.job) else { return nil }
        if !allowBranches, let branches = Self.jobBranches(definition) {
            diagnostics.invalid(branches.path, "a job-level branches filter only applies to a config without "
                + "workflows; use filters: branches: on the job in the workflow instead")
            return nil
        }
        let conditions = diagnostics.validating ? nil : expressions
        let steps = StepExpander(diagnostics: diagnostics, expressions: conditions)
        let pre = invocation.preSteps.map { steps.expand($0, scope: scope) ?? [] } ?? []
        let post = invocation.postSteps.map { steps.expand($0, scope: scope) ?? [] } ?? []
        guard let expanded = JobExpander(diagnostics: diagnostics, expressions: conditions)
            .expand(definition, arguments: invocation.arguments, at: invocation.node, preSteps: pre, postSteps: post)
        else { return nil }
        let shortName = invocation.job.split(separator: "/").last.map(String.init) ?? invocation.job
        var node = expanded.node
        var expandedSteps = expanded.steps
        if version == .v2_1 {
            // All interpolation is done: `\<<` now means a literal `<<`.
            let unescape = { (step: ConfigNode) in
                ConfigNode(Interpolation.unescape(step.node), path: step.path, diagnostics: step.diagnostics)
            }
            node = unescape(node)
            expandedSteps = expandedSteps?.map(unescape)
        }
        return JobCompiler(version: version).compile(node, name: shortName, expandedSteps: expandedSteps)
    }

    /// The names (`name:` or the job) of a workflow's entries whose orb could not be loaded.
    static func brokenOrbJobNames(_ entries: [ConfigNode], scope: Scope) -> Set<String> {
        var names: Set<String> = []
        for entry in entries {
            guard case .mapping(let raw) = entry.node else { continue }
            for (key, value) in raw {
                guard let job = key.string, scope.isBroken(job) else { continue }
                names.insert(value.mapping?["name"]?.string ?? job)
            }
        }
        return names
    }

    // MARK: - Graph checks

    private func checkUnique(_ invocations: [Invocation], workflow: String) {
        var seen: Set<String> = []
        for invocation in invocations where !seen.insert(invocation.name).inserted {
            diagnostics.invalid(invocation.node.path, "duplicate job name \"\(invocation.name)\" in "
                + "workflow \"\(workflow)\"; give each use of a job a unique name with name:")
        }
    }

    /// Replaces matrix aliases in `requires` by the jobs they stand for,
    /// reports requirements that name no job of the workflow, and returns the
    /// graph (invocation index → indices it requires).
    private func resolveRequires(_ invocations: inout [Invocation], workflow: String,
                                 brokenNames: Set<String> = []) -> [[Int]] {
        var indexByName: [String: Int] = [:]
        var membersByAlias: [String: [String]] = [:]
        for (index, invocation) in invocations.enumerated() {
            if indexByName[invocation.name] == nil { indexByName[invocation.name] = index }
            if let alias = invocation.alias { membersByAlias[alias, default: []].append(invocation.name) }
        }
        var edges: [[Int]] = []
        for position in invocations.indices {
            var resolved: [(name: String, node: ConfigNode)] = []
            var statuses: [String: [JobStatus]] = [:]
            for requirement in invocations[position].requires {
                let names: [String]
                if indexByName[requirement.name] != nil {
                    names = [requirement.name]
                } else if let members = membersByAlias[requirement.name] {
                    names = members
                } else {
                    // A job of an orb that could not be loaded is missing already; its error says why.
                    if !brokenNames.contains(requirement.name) {
                        diagnostics.invalid(requirement.node.path,
                            "requires job \"\(requirement.name)\", which is not in workflow \"\(workflow)\"")
                    }
                    continue
                }
                for name in names where !resolved.contains(where: { $0.name == name }) {
                    resolved.append((name, requirement.node))
                    // A matrix alias's statuses apply to each of its jobs.
                    statuses[name] = invocations[position].requiredStatuses[requirement.name]
                }
            }
            invocations[position].requires = resolved
            invocations[position].requiredStatuses = statuses
            edges.append(resolved.compactMap { indexByName[$0.name] })
        }
        return edges
    }

    private func checkCycles(_ invocations: [Invocation], edges: [[Int]], at node: ConfigNode) {
        for cycle in CycleFinder.cycles(in: edges) {
            let names = cycle.map { "\"\(invocations[$0].name)\"" }
            if names.count == 1, let name = names.first {
                diagnostics.invalid(node.path, "job \(name) requires itself")
            } else {
                diagnostics.invalid(node.path, "jobs " + names.joined(separator: ", ") + " require each other in a cycle")
            }
        }
    }
}
