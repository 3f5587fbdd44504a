import GyreModel
import Yams

/// Expands a steps list into built-in steps only: reusable and orb commands
/// are replaced by their (interpolated) steps, `when`/`unless` steps by the
/// steps they guard or by nothing, `steps` steps (a `steps` parameter) by the
/// steps they list. The result is compiled by ``StepCompiler``.
struct StepExpander {
    var diagnostics: Diagnostics
    /// Pipeline values for `when`/`unless` step conditions written as expressions; nil = literals only.
    var expressions: [String: ConfigExpression.Value]? = nil
    /// Validating a job whose executor is defined elsewhere (checked on a stand-in): a step name
    /// that is neither built in nor defined is left to processing, which never gets to the steps
    /// of such a job. Otherwise validation reports it as processing does.
    var leavesUnknownStepsToProcessing = false

    /// Commands calling commands deeper than this are refused (a recursive command).
    static let maxDepth = 32

    static let builtins: Set<String> = [
        "checkout", "run", "save_cache", "restore_cache", "persist_to_workspace", "attach_workspace",
        "store_artifacts", "store_test_results", "add_ssh_keys", "setup_remote_docker", "deploy",
    ]

    static let commandKeys: Set<String> = ["steps", "parameters", "description"]
    static let conditionalKeys: Set<String> = ["condition", "steps"]

    /// The steps at `node` (a list), expanded in `scope`, each at the path it
    /// was written at (so errors point into a command's definition); nil after
    /// reporting a non-list.
    func expand(_ node: ConfigNode, scope: Scope, depth: Int = 0) -> [ConfigNode]? {
        guard let elements = node.sequence(expected: "a list of steps") else { return nil }
        var steps: [ConfigNode] = []
        for element in elements {
            let expanded = expandStep(element, scope: scope, depth: depth)
            guard diagnostics.spendExpansion(expanded.count) else {
                diagnostics.invalid(node.path, "commands expand to more than \(Diagnostics.maxExpandedSteps) steps")
                return nil
            }
            steps += expanded
        }
        return steps
    }

    private func expandStep(_ step: ConfigNode, scope: Scope, depth: Int) -> [ConfigNode] {
        let kind: String
        let value: ConfigNode?
        switch step.node {
        case .scalar where !step.isNull:
            guard let text = step.scalarText else { return [step] }
            kind = text
            value = nil
        case .mapping(let raw) where raw.count == 1:
            guard let mapping = step.mapping(), let entry = mapping.entries.first else { return [step] }
            kind = entry.key
            value = entry.value
        default:
            return [step]   // the step compiler explains what is wrong
        }
        if Self.builtins.contains(kind) { return [step] }
        // `restore-cache`, `save-cache`, ...: hyphenated spellings of built-in steps that
        // long-lived 2.0 configs use, unless a command of that name exists.
        let underscored = kind.replacingOccurrences(of: "-", with: "_")
        if underscored != kind, Self.builtins.contains(underscored), scope.lookup(.command, kind) == nil {
            let renamed: Node = value.map { .mapping(Node.Mapping([(Interpolation.string(underscored), $0.node)])) }
                ?? Interpolation.string(underscored)
            return [ConfigNode(renamed, path: step.path, diagnostics: diagnostics)]
        }
        if kind == "when" || kind == "unless" {
            return conditional(kind, value ?? step, scope: scope, depth: depth)
        }
        // A 2.1 feature (it splices a `steps` parameter); version 2 has no such step.
        if kind == "steps" && !scope.version2 {
            return splice(value, step: step, scope: scope, depth: depth)
        }
        guard let definition = scope.lookup(.command, kind) else {
            // Validating, an orb's command stands in as a step that checks nothing more.
            let placeholder = [ConfigNode(Interpolation.string("checkout"), path: step.path, diagnostics: diagnostics)]
            if scope.isBroken(kind) { return diagnostics.validating ? placeholder : [] }
            let detail = kind.contains("/") || !scope.commands.isEmpty || !scope.prefix.isEmpty
                ? "; " + scope.explainMissing(.command, kind) : ""
            // Validating, an orb's command (`orb/name`) is a reference left to processing; any
            // other name is a built-in step or a command of this file (or of the inline orb it
            // is used in), with or without a `commands:` section, so validation reports it as
            // processing does (except in a job processing could not expand at all).
            diagnostics.undefined(kind, at: (value ?? step).path, "unknown step \"\(kind)\"\(detail)",
                                  sectionDefined: !leavesUnknownStepsToProcessing)
            return diagnostics.validating ? placeholder : []
        }
        return command(definition, arguments: value, at: value ?? step, depth: depth)
    }

    /// `when: {condition, steps}` / `unless: {condition, steps}`.
    private func conditional(_ kind: String, _ node: ConfigNode, scope: Scope, depth: Int) -> [ConfigNode] {
        guard let mapping = node.mapping(expected: "a mapping with condition and steps") else { return [] }
        mapping.rejectUnknownKeys(known: Self.conditionalKeys, owner: "\(kind) step")
        guard let condition = mapping.required("condition"), let steps = mapping.required("steps") else { return [] }
        guard let value = LogicStatement(expressions: expressions).evaluate(condition) else { return [] }
        // Check the guarded steps even when they are skipped, so mistakes show up early.
        let expanded = expand(steps, scope: scope, depth: depth) ?? []
        return value == (kind == "when") ? expanded : []
    }

    /// `- steps: << parameters.x >>` (x of type `steps`), or a literal list:
    /// the listed steps, expanded, in place of this one. An empty list adds
    /// nothing; anything but a list is an error at the value.
    private func splice(_ value: ConfigNode?, step: ConfigNode, scope: Scope, depth: Int) -> [ConfigNode] {
        guard let value else {
            diagnostics.invalid(step.path, "a steps step needs a list of steps, such as steps: << parameters.x >> "
                + "with x of type steps")
            return []
        }
        guard case .sequence = value.node else {
            value.reportExpected("a list of steps (a steps parameter, such as << parameters.x >>)")
            return []
        }
        guard depth < Self.maxDepth else {
            diagnostics.invalid(value.path, "steps are nested more than \(Self.maxDepth) levels deep")
            return []
        }
        return expand(value, scope: scope, depth: depth + 1) ?? []
    }

    /// A reusable command invocation: its steps with its parameters filled in.
    private func command(_ definition: Scope.Definition, arguments: ConfigNode?, at: ConfigNode, depth: Int) -> [ConfigNode] {
        guard depth < Self.maxDepth else {
            diagnostics.invalid(at.path, "command \"\(definition.qualifiedName)\" invokes commands \(Self.maxDepth) "
                + "levels deep; does it invoke itself?")
            return []
        }
        guard let body = definition.node.mapping(expected: "a mapping with the command's steps") else { return [] }
        body.rejectUnknownKeys(known: Self.commandKeys, owner: "command")
        let owner = "command \"\(definition.qualifiedName)\""
        let specs = ParameterSpec.parse(body["parameters"])
        var entries: [ConfigMapping.Entry] = []
        if let arguments, !arguments.isNull {
            guard let mapping = arguments.mapping(expected: "a mapping of the command's parameters") else { return [] }
            entries = mapping.entries
        }
        guard let values = ParameterResolver(specs: specs, owner: owner).resolve(entries, at: at),
              let steps = body.required("steps") else { return [] }
        let interpolated = Interpolation(resolve: ParameterResolver.resolver(values, owner: owner),
                                         diagnostics: diagnostics).apply(steps.node, path: steps.path)
        let node = ConfigNode(interpolated, path: steps.path, diagnostics: diagnostics)
        return expand(node, scope: definition.scope, depth: depth + 1) ?? []
    }
}
