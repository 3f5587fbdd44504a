import GyreModel

/// Compiles one entry of a job's `steps` list.
///
/// A step is a bare string (`- checkout`) or a mapping with exactly one key,
/// the step type (`- run: make test`, `- checkout: {path: src}`). Compilation
/// switches on the type: supported types have a compiler, known-but-unsupported
/// ones are reported as such, and anything else is unknown (or, in 2.1, a
/// reusable or orb command invocation, not supported yet).
struct StepCompiler {
    var version: ConfigVersion
    /// Names under the top-level `commands` (2.1), to tell invocations from typos.
    var commandNames: Set<String>

    /// `name` is accepted (2.0 configs use it) but not kept: the plan's
    /// checkout step has a fixed display name.
    static let checkoutKeys: Set<String> = ["path", "name"]

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
                step.diagnostics.invalid(step.path, "a run step needs a command")
                return nil
            }
            return RunStepCompiler().compile(value).map(StepPlan.run)
        default:
            if let feature = UnsupportedFeatures.stepKinds[kind] {
                at.diagnostics.unsupported(at.path, feature: feature)
            } else if version == .v2_1 && commandNames.contains(kind) {
                at.diagnostics.unsupported(at.path, feature: "the reusable command \"\(kind)\" (commands)")
            } else if version == .v2_1 && kind.contains("/") {
                at.diagnostics.unsupported(at.path, feature: "the orb command \"\(kind)\" (orbs)")
            } else {
                at.diagnostics.invalid(at.path, "unknown step \"\(kind)\"")
            }
            return nil
        }
    }

    private func checkout(_ value: ConfigNode?) -> CheckoutStep? {
        guard let value, !value.isNull else { return CheckoutStep() }
        guard let mapping = value.mapping(expected: "a mapping with a path") else { return nil }
        let before = value.diagnostics.count
        mapping.rejectUnknownKeys(known: Self.checkoutKeys, unsupported: UnsupportedFeatures.checkoutKeys,
                                  owner: "checkout")
        let path = mapping["path"]?.nonEmptyString()
        _ = mapping["name"]?.string()
        return value.diagnostics.count == before ? CheckoutStep(path: path) : nil
    }
}
