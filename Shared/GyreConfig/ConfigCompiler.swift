import Foundation
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
    /// Top-level keys this compiler reads; any others are ignored (configs
    /// often keep anchors under keys like `defaults:` or `references:`).
    static let topLevelKeys: Set<String> = ["version", "jobs", "workflows", "orbs", "commands", "executors", "parameters",
                                            "setup"]
    /// Top-level keys that only version 2.1 allows.
    static let v2_1Keys = ["orbs", "commands", "executors", "parameters", "setup"]
    static let unsupportedTopLevel = UnsupportedFeatures.topLevel

    /// The registry orbs configs may use: imported versions and the shipped orbs.
    public var orbs: OrbCatalog

    /// Creates a compiler. It holds no state; one instance can be shared and used concurrently.
    public init(orbs: OrbCatalog = OrbCatalog()) {
        self.orbs = orbs
    }

    /// A compiler whose imported orbs are the files `<dir>/<namespace>/<name>@<version>.yml` (GYRE_ORB_DIR).
    public init(orbDirectory: URL?) {
        self.init(orbs: orbDirectory.map { OrbCatalog(directory: $0) } ?? OrbCatalog())
    }

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
    ///
    /// `continuation`: the configuration sent by `POST /pipeline/continue`,
    /// which may not itself be a setup configuration.
    public func compile(yaml: String, parameters: [String: ParameterValue],
                        pipeline: PipelineValues?, continuation: Bool = false) throws(ConfigErrors) -> PipelinePlan {
        let diagnostics = Diagnostics()
        let plan = compile(yaml: yaml, parameters: parameters, pipeline: pipeline, continuation: continuation,
                           diagnostics: diagnostics)
        guard let plan, diagnostics.isEmpty else {
            if diagnostics.isEmpty {
                diagnostics.invalid(NodePath.root.appending("jobs"), "the config has no job to run")
            }
            throw ConfigErrors(diagnostics.errors)
        }
        return plan
    }

    /// Validates a config without processing it: its structure and values
    /// (keys, types, enums, job names, executor/resource-class combinations,
    /// `requires` entries and statuses, durations, cron, patterns) are checked
    /// as processing checks them, but references that only processing
    /// resolves are not: jobs, executors and pipeline parameters the file uses
    /// without defining, orbs' commands (`orb/name`; any other step name that
    /// is neither built in nor defined is reported as processing reports it,
    /// except in a job whose executor is defined elsewhere), registry orbs
    /// (never loaded), definitions no workflow uses, jobs without a workflow. Every workflow is checked,
    /// whatever its `when`/`unless`. So a fragment such as CircleCI's schema
    /// samples validates, while ``compile(yaml:)`` would reject it.
    public func validate(yaml: String) throws(ConfigErrors) {
        let diagnostics = Diagnostics(validating: true)
        _ = compile(yaml: yaml, parameters: [:], pipeline: nil, continuation: false, diagnostics: diagnostics)
        guard diagnostics.isEmpty else { throw ConfigErrors(diagnostics.errors) }
    }

    private func compile(yaml: String, parameters: [String: ParameterValue], pipeline: PipelineValues?,
                         continuation: Bool, diagnostics: Diagnostics) -> PipelinePlan? {
        guard let parsed = ConfigParser().parse(yaml, diagnostics: diagnostics),
              let original = ConfigNode(parsed, path: .root, diagnostics: diagnostics).mapping() else { return nil }
        let version = ConfigVersion.read(from: original)
        _ = original.unknownEntries(known: Self.topLevelKeys, unsupported: Self.unsupportedTopLevel)
        if version == .v2_0 {
            for key in Self.v2_1Keys where original.contains(key) {
                diagnostics.invalid(NodePath.root.appending(key), "\(key) needs version: 2.1 (this config says version 2)")
            }
        }

        let setup = Self.isSetup(original, continuation: continuation)

        // Pipeline parameters first: `<< pipeline.parameters.x >>` needs them.
        let values = pipelineParameters(original, given: parameters, diagnostics: diagnostics)
        let context = PipelineContext(pipeline: pipeline, parameters: values ?? [:], inSetup: setup)
        var resolve: (String) -> Interpolation.Resolution = version == .v2_1 ? context.resolve : { name in
            .error("<< \(name) >> needs version: 2.1 (this config says version 2)")
        }
        if diagnostics.validating && version == .v2_1 {
            // An undeclared pipeline parameter is a reference processing resolves: an empty value stands in.
            resolve = { name in
                if name.hasPrefix("pipeline.parameters."), case .error = context.resolve(name) {
                    return .value(Interpolation.string(""))
                }
                return context.resolve(name)
            }
        }
        let interpolation = Interpolation(resolve: resolve, diagnostics: diagnostics)
        let rootNode = interpolation.apply(parsed, path: .root)
        guard let root = ConfigNode(rootNode, path: .root, diagnostics: diagnostics).mapping() else { return nil }

        let scope = OrbResolver(orbs: orbs, diagnostics: diagnostics,
                                interpolate: interpolation.apply).scope(root: root)
        scope.version2 = version == .v2_0
        DefinitionChecker(version: version, scope: scope, diagnostics: diagnostics,
                          expressions: context.expressionEnvironment).check(root)
        if diagnostics.validating { checkInlineOrbs(root, scope: scope, diagnostics: diagnostics, version: version) }

        var workflowCompiler = WorkflowCompiler(version: version, scope: scope, diagnostics: diagnostics)
        workflowCompiler.expressions = context.expressionEnvironment
        let workflows: [WorkflowPlan]?
        if let workflowsNode = root["workflows"], Self.definesWorkflows(workflowsNode) {
            workflows = workflowCompiler.compile(workflowsNode)
        } else {
            workflows = workflowCompiler.compileDefault(root: root)
        }
        return workflows.map { PipelinePlan(workflows: $0, setup: setup) }
    }

    /// `setup: true` (dynamic configuration). A continued configuration may not be one.
    private static func isSetup(_ root: ConfigMapping, continuation: Bool) -> Bool {
        guard let node = root["setup"], !node.isNull else { return false }
        guard let setup = node.bool() else { return false }
        if setup && continuation {
            node.diagnostics.invalid(node.path, "a configuration that continues a pipeline cannot itself be a setup "
                                     + "configuration: remove setup: true (a pipeline has one setup phase)")
        }
        return setup
    }

    /// Validation checks the definitions of inline orbs too, used or not.
    private func checkInlineOrbs(_ root: ConfigMapping, scope: Scope, diagnostics: Diagnostics, version: ConfigVersion) {
        guard let orbs = root["orbs"]?.node.mapping != nil ? root["orbs"]?.mapping() : nil else { return }
        for entry in orbs.entries {
            guard entry.value.node.mapping != nil, let orbScope = scope.orbs[entry.key],
                  let mapping = entry.value.mapping() else { continue }
            DefinitionChecker(version: version, scope: orbScope, diagnostics: diagnostics).check(mapping)
        }
    }

    /// The top-level `parameters` with the trigger's values applied, or nil after reporting.
    private func pipelineParameters(_ root: ConfigMapping, given: [String: ParameterValue],
                                    diagnostics: Diagnostics) -> [String: Node]? {
        let specs = ParameterSpec.parse(root["parameters"])
        let at = ConfigNode(.mapping(Node.Mapping([])), path: NodePath.root.appending("parameters"),
                            diagnostics: diagnostics)
        let arguments = given.sorted { $0.key < $1.key }.map { name, value in
            ConfigMapping.Entry(key: name, value: ConfigNode(Self.node(value), path: at.path.appending(name),
                                                             diagnostics: diagnostics))
        }
        return ParameterResolver(specs: specs, owner: "the pipeline").resolve(arguments, at: at)
    }

    private static func node(_ value: ParameterValue) -> Node {
        switch value {
        case .string(let text): return Interpolation.string(text)
        case .integer, .number, .boolean: return .scalar(Node.Scalar(value.description, .implicit, .plain))
        }
    }

    /// False when `workflows` holds nothing but the old `version: 2` key.
    private static func definesWorkflows(_ node: ConfigNode) -> Bool {
        guard case .mapping(let mapping) = node.node else { return true }
        return mapping.keys.contains { $0.string != "version" }
    }
}
