import Yams

/// One declared parameter of a job, command, executor or the pipeline:
/// `name: {type, default, enum, description}`.
struct ParameterSpec {
    enum Kind: String, CaseIterable {
        case string, boolean, integer, `enum`, executor, steps
        case envVarName = "env_var_name"
    }

    var name: String
    var kind: Kind
    var defaultValue: Node?
    /// For `enum`: the allowed values.
    var allowed: [String]
    /// Where it is declared.
    var node: ConfigNode

    static let keys: Set<String> = ["type", "default", "description", "enum"]

    /// What a required string parameter stands for while validating (non-empty,
    /// so an image or a working directory taken from it still checks).
    static let stringPlaceholder = "validation-placeholder"

    /// A value of the right type that validation uses for a required
    /// parameter it has no value for, so the rest can still be checked.
    var placeholder: Node {
        switch kind {
        case .string: return Interpolation.string(Self.stringPlaceholder)
        case .boolean: return Interpolation.string("false")
        case .integer: return Interpolation.string("1")
        case .enum: return Interpolation.string(allowed.first ?? "")
        case .envVarName: return Interpolation.string("PLACEHOLDER")
        // Not defined anywhere: validation checks the job on a stand-in executor.
        case .executor: return Interpolation.string(Self.stringPlaceholder)
        case .steps: return .sequence(Node.Sequence([Interpolation.string("checkout")]))
        }
    }

    /// The declarations of a `parameters:` mapping, in order, or [] after reporting.
    static func parse(_ node: ConfigNode?) -> [ParameterSpec] {
        guard let node, !node.isNull else { return [] }
        guard let mapping = node.mapping(expected: "a mapping of parameter names to {type, default}") else { return [] }
        return mapping.entries.compactMap { parse(name: $0.key, $0.value) }
    }

    private static func parse(name: String, _ node: ConfigNode) -> ParameterSpec? {
        guard let mapping = node.mapping(expected: "a mapping with the parameter's type") else { return nil }
        mapping.rejectUnknownKeys(known: keys, owner: "parameter")
        guard let typeNode = mapping.required("type"), let type = typeNode.string() else { return nil }
        guard let kind = Kind(rawValue: type) else {
            typeNode.diagnostics.invalid(typeNode.path, "unknown parameter type \"\(type)\"; expected "
                + Kind.allCases.map(\.rawValue).joined(separator: ", "))
            return nil
        }
        var allowed: [String] = []
        if kind == .enum {
            guard let list = mapping.required("enum")?.sequence(expected: "a list of allowed values") else { return nil }
            allowed = list.compactMap { $0.string(expected: "a value") }
        } else if let extra = mapping["enum"] {
            extra.diagnostics.invalid(extra.path, "enum is only allowed with type: enum")
        }
        var spec = ParameterSpec(name: name, kind: kind, defaultValue: nil, allowed: allowed, node: node)
        if let defaultNode = mapping["default"] {
            // `default:` with no value means "no default" only for non-string types.
            if !(defaultNode.isNull && kind != .string) {
                spec.defaultValue = spec.check(defaultNode.isNull ? Interpolation.string("") : defaultNode.node,
                                               at: defaultNode, what: "the default")
                if spec.defaultValue == nil { return nil }
            }
        }
        return spec
    }

    /// `value` normalised for interpolation (booleans as `true`/`false`), or
    /// nil after reporting a value of the wrong type at `at`.
    func check(_ value: Node, at: ConfigNode, what: String) -> Node? {
        let report = { (expected: String) -> Node? in
            at.diagnostics.invalid(at.path, "\(what) of parameter \"\(name)\" must be \(expected), found "
                + ConfigNode.describeKind(of: value))
            return nil
        }
        let text = Interpolation.text(of: value)
        switch kind {
        case .string:
            guard let text else { return report("a string") }
            return Interpolation.string(text)
        case .boolean:
            switch text?.lowercased() {
            case "true", "yes", "on": return Interpolation.string("true")
            case "false", "no", "off": return Interpolation.string("false")
            default: return report("true or false")
            }
        case .integer:
            guard let text, let number = Int(text) else { return report("an integer") }
            return Interpolation.string(String(number))
        case .enum:
            guard let text, allowed.contains(text) else {
                return report("one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            return Interpolation.string(text)
        case .envVarName:
            guard let text, Self.isEnvVarName(text) else {
                return report("an environment variable name (letters, digits and _, not starting with a digit)")
            }
            return Interpolation.string(text)
        case .executor:
            switch value {
            case .mapping: return value
            case .scalar where text.map({ !$0.isEmpty }) ?? false: return value
            default: return report("an executor name, or a mapping with name and its parameters")
            }
        case .steps:
            switch value {
            case .sequence: return value
            case .mapping: return .sequence(Node.Sequence([value]))
            default:
                if let text, !text.isEmpty { return .sequence(Node.Sequence([value])) }
                if text == "" { return .sequence(Node.Sequence([])) }
                return report("a list of steps")
            }
        }
    }

    static func isEnvVarName(_ text: String) -> Bool {
        guard let first = text.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
