import GyreModel

/// Compiles one entry of a job's `steps` list.
///
/// A step is a bare string (`- checkout`) or a mapping with exactly one key,
/// the step type (`- run: make test`, `- checkout: {path: src}`). Compilation
/// switches on the type. Reusable commands and `when`/`unless` steps have been
/// expanded by ``StepExpander`` already, so anything else is unknown.
struct StepCompiler {
    var version: ConfigVersion

    /// `method` and `depth` (newer CircleCI options) are accepted and have no effect.
    static let checkoutKeys: Set<String> = ["path", "name", "method", "depth"]

    /// The step, or nil after reporting.
    func compile(_ node: ConfigNode) -> StepPlan? {
        switch node.node {
        case .scalar where !node.isNull:
            guard let kind = node.string() else { return nil }
            return compile(kind: kind, value: nil, step: node)
        case .mapping:
            guard let mapping = node.mapping() else { return nil }
            guard mapping.entries.count == 1, let entry = mapping.entries.first else {
                if mapping.isEmpty {
                    node.diagnostics.invalid(node.path, "a step needs a type, such as run or checkout")
                } else {
                    node.diagnostics.invalid(node.path, "a step must have exactly one key (its type), found "
                        + mapping.keys.joined(separator: ", ") + "; check the indentation of the step's options")
                }
                return nil
            }
            return compile(kind: entry.key, value: entry.value, step: node)
        default:
            node.reportExpected("a step, such as checkout or run: <command>")
            return nil
        }
    }

    /// `value` is nil for a bare string step; otherwise the node under the type key.
    private func compile(kind: String, value: ConfigNode?, step: ConfigNode) -> StepPlan? {
        let at = value ?? step
        switch kind {
        case "checkout":
            return checkout(value).map(StepPlan.checkout)
        case "run":
            guard let value else {
                // The schema accepts a bare `- run`; only processing needs its command.
                step.diagnostics.unresolved(step.path, "a run step needs a command")
                return nil
            }
            return RunStepCompiler().compile(value).map(StepPlan.run)
        case "deploy":
            // A deprecated alias of run.
            guard let value else {
                step.diagnostics.invalid(step.path, "a deploy step needs a command")
                return nil
            }
            return RunStepCompiler().compile(value).map { run in
                var deploy = run
                deploy.firstNodeOnly = true
                return StepPlan.run(deploy)
            }
        default:
            if let compiled = BuiltinStepCompiler().compile(kind: kind, value: value, step: step) {
                return compiled
            }
            if !BuiltinStepCompiler.kinds.contains(kind) {
                at.diagnostics.invalid(at.path, "unknown step \"\(kind)\"")
            }
            return nil
        }
    }

    private func checkout(_ value: ConfigNode?) -> CheckoutStep? {
        guard let value, !value.isNull else { return CheckoutStep() }
        guard let mapping = value.mapping(expected: "a mapping with a path") else { return nil }
        let before = value.diagnostics.count
        mapping.rejectUnknownKeys(known: Self.checkoutKeys, owner: "checkout")
        let path = mapping["path"]?.nonEmptyString()
        var step = CheckoutStep(path: path)
        if let name = mapping["name"]?.nonEmptyString() { step.name = name }
        return value.diagnostics.count == before ? step : nil
    }
}
