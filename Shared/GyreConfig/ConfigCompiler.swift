import GyreModel
import Yams

/// Compiles `.circleci/config.yml` text into a ``PipelinePlan``.
///
/// Three stages: ``ConfigParser`` turns the text into a YAML tree (syntax
/// problems stop there); the top level is checked (version, unsupported
/// features); then every job and workflow is compiled, collecting every
/// problem found rather than stopping at the first.
///
/// ```swift
/// do {
///     let plan = try ConfigCompiler().compile(yaml: text)
/// } catch {
///     for problem in error.errors { print(problem) }   // "jobs.build.steps[0]: unknown step \"chekout\""
/// }
/// ```
public struct ConfigCompiler: Sendable {
    /// Top-level keys this compiler reads; others (`orbs`, ...) are unsupported,
    /// and any remaining ones are ignored (configs often keep anchors under
    /// keys like `defaults:` or `references:`).
    static let topLevelKeys: Set<String> = ["version", "jobs", "workflows"]

    /// The workflow that runs the `build` job when a config has no workflows.
    static let defaultWorkflowName = "workflow"
    static let defaultJobName = "build"

    public init() {}

    /// Compiles a `.circleci/config.yml` into a plan, or throws every problem found (as many as can be found in one pass, not just the first).
    ///
    /// Never traps on bad input: anything that is not a usable config comes
    /// back as ``ConfigErrors``, each error with a document path (empty only
    /// for `.syntax` errors about the document as a whole).
    public func compile(yaml: String) throws(ConfigErrors) -> PipelinePlan {
        let diagnostics = Diagnostics()
        let plan = compile(yaml: yaml, diagnostics: diagnostics)
        guard let plan, diagnostics.isEmpty else {
            if diagnostics.isEmpty {
                diagnostics.invalid(NodePath.root.appending("jobs"), "the config has no job to run")
            }
            throw ConfigErrors(diagnostics.errors)
        }
        return plan
    }

    private func compile(yaml: String, diagnostics: Diagnostics) -> PipelinePlan? {
        guard let rootNode = ConfigParser().parse(yaml, diagnostics: diagnostics),
              let root = ConfigNode(rootNode, path: .root, diagnostics: diagnostics).mapping() else { return nil }

        let version = ConfigVersion.read(from: root)
        _ = root.unknownEntries(known: Self.topLevelKeys, unsupported: UnsupportedFeatures.topLevel)

        let commandNames = Set(root["commands"]?.node.mapping?.keys.compactMap(\.string) ?? [])
        let jobCompiler = JobCompiler(version: version, commandNames: commandNames)
        var jobs: [String: JobPlan] = [:]
        var definedJobs: Set<String> = []
        if let jobsNode = root["jobs"] {
            if let mapping = jobsNode.mapping(expected: "a mapping of job names to jobs") {
                var namesIgnoringCase: [String: String] = [:]
                for entry in mapping.entries {
                    definedJobs.insert(entry.key)
                    if let other = namesIgnoringCase.updateValue(entry.key, forKey: entry.key.lowercased()) {
                        diagnostics.invalid(entry.value.path,
                                            "job names must be unique ignoring case; \"\(other)\" is also defined")
                    }
                    jobs[entry.key] = jobCompiler.compile(entry.value, name: entry.key)
                }
            }
        } else if !root.contains("orbs") {
            diagnostics.invalid(NodePath.root.appending("jobs"), "missing required key \"jobs\"")
        }

        let workflowCompiler = WorkflowCompiler(version: version, jobs: jobs, definedJobs: definedJobs)
        let hasWorkflows = root["workflows"]?.node.mapping.map { mapping in
            mapping.keys.contains { $0.string != "version" }
        } ?? (root["workflows"] != nil)
        let workflows: [WorkflowPlan]?
        if hasWorkflows, let workflowsNode = root["workflows"] {
            workflows = workflowCompiler.compile(workflowsNode)
        } else {
            workflows = defaultWorkflow(jobs: jobs, definedJobs: definedJobs, root: root)
        }
        guard let workflows else { return nil }
        return PipelinePlan(workflows: workflows)
    }

    /// Without workflows, the job named `build` runs alone in a workflow named `workflow`.
    private func defaultWorkflow(jobs: [String: JobPlan], definedJobs: Set<String>,
                                 root: ConfigMapping) -> [WorkflowPlan]? {
        guard definedJobs.contains(Self.defaultJobName) else {
            if root.contains("jobs") {
                root.node.diagnostics.invalid(NodePath.root.appending("jobs"), "there are no workflows, so the job "
                    + "named \"\(Self.defaultJobName)\" would run, but there is no such job; add it or add workflows")
            }
            return nil
        }
        guard let job = jobs[Self.defaultJobName] else { return nil }
        return [WorkflowPlan(name: Self.defaultWorkflowName,
                             jobs: [WorkflowJobPlan(name: Self.defaultJobName, requires: [], job: job)])]
    }
}
