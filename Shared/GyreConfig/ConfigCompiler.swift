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

    /// Creates a compiler. It holds no state; one instance can be shared and used concurrently.
    public init() {}

    /// Compiles a `.circleci/config.yml` into a plan, or throws every problem found (as many as can be found in one pass, not just the first).
    ///
    /// Never traps on bad input: anything that is not a usable config comes
    /// back as ``ConfigErrors``, each error with a document path (empty only
    /// for `.syntax` errors about the document as a whole).
    public func compile(yaml: String) throws(ConfigErrors) -> PipelinePlan {
        try compile(yaml: yaml, parameters: [:], pipeline: nil)
    }

    /// Compiles with pipeline parameters from the trigger request and the
    /// `pipeline.*` values (nil when there is no pipeline, e.g. `gyre config
    /// process`: placeholders are used). Unknown parameter names and values of
    /// the wrong type are config errors naming the parameter.
    public func compile(yaml: String, parameters: [String: ParameterValue],
                        pipeline: PipelineValues?) throws(ConfigErrors) -> PipelinePlan {
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

        let (jobs, definedJobs) = compileJobs(root, version: version)
        let workflowCompiler = WorkflowCompiler(version: version, jobs: jobs, definedJobs: definedJobs)
        let workflows: [WorkflowPlan]?
        if let workflowsNode = root["workflows"], Self.definesWorkflows(workflowsNode) {
            workflows = workflowCompiler.compile(workflowsNode)
        } else {
            workflows = workflowCompiler.compileDefault(root: root)
        }
        return workflows.map(PipelinePlan.init)
    }

    /// Every job under `jobs` (nil for one with problems), and all their names.
    private func compileJobs(_ root: ConfigMapping, version: ConfigVersion) -> ([String: JobPlan?], Set<String>) {
        guard let jobsNode = root["jobs"] else {
            // A config may run only orb jobs (reported as unsupported on their own).
            if !root.contains("orbs") { _ = root.required("jobs") }
            return ([:], [])
        }
        guard let mapping = jobsNode.mapping(expected: "a mapping of job names to jobs") else { return ([:], []) }
        let commandNames = Set(root["commands"]?.node.mapping?.keys.compactMap(\.string) ?? [])
        let compiler = JobCompiler(version: version, commandNames: commandNames)
        var jobs: [String: JobPlan?] = [:]
        var namesIgnoringCase: [String: String] = [:]
        for entry in mapping.entries {
            if let other = namesIgnoringCase.updateValue(entry.key, forKey: entry.key.lowercased()) {
                entry.value.diagnostics.invalid(entry.value.path,
                                                "job names must be unique ignoring case; \"\(other)\" is also defined")
            }
            jobs[entry.key] = compiler.compile(entry.value, name: entry.key)
        }
        return (jobs, Set(mapping.keys))
    }

    /// False when `workflows` holds nothing but the old `version: 2` key.
    private static func definesWorkflows(_ node: ConfigNode) -> Bool {
        guard case .mapping(let mapping) = node.node else { return true }
        return mapping.keys.contains { $0.string != "version" }
    }
}
