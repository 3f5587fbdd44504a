import Yams

/// Matches the arguments of one invocation (of a job, command or executor)
/// against the declared parameters: unknown names, missing required values and
/// values of the wrong type are reported; defaults fill the rest.
struct ParameterResolver {
    var specs: [ParameterSpec]
    /// `job "build"`, `command "greet"`, ... for messages.
    var owner: String

    /// The value of every parameter by name, or nil after reporting.
    /// `arguments` are the invocation's key/value pairs; `at` is the invocation.
    func resolve(_ arguments: [ConfigMapping.Entry], at: ConfigNode) -> [String: Node]? {
        let before = at.diagnostics.count
        var values: [String: Node] = [:]
        let byName = Dictionary(specs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for argument in arguments {
            guard let spec = byName[argument.key] else {
                let declared = specs.isEmpty ? "it declares no parameters"
                    : "its parameters are " + specs.map(\.name).joined(separator: ", ")
                argument.value.diagnostics.unresolved(argument.value.path,
                    "unknown parameter \"\(argument.key)\" for \(owner); \(declared)")
                continue
            }
            values[spec.name] = spec.check(argument.value.node, at: argument.value, what: "the value")
        }
        for spec in specs where values[spec.name] == nil && !arguments.contains(where: { $0.key == spec.name }) {
            if let value = spec.defaultValue {
                values[spec.name] = value
            } else if at.diagnostics.validating {
                values[spec.name] = spec.placeholder   // left to processing; a placeholder keeps checking
            } else {
                at.diagnostics.invalid(at.path, "missing required parameter \"\(spec.name)\" of \(owner)")
            }
        }
        return at.diagnostics.count == before ? values : nil
    }

    /// Resolves `parameters.*` references against `values`; leaves the others.
    static func resolver(_ values: [String: Node], owner: String) -> (String) -> Interpolation.Resolution {
        { name in
            guard name.hasPrefix("parameters.") else { return .keep }
            let parameter = String(name.dropFirst("parameters.".count))
            guard let value = values[parameter] else {
                return .error("<< \(name) >> refers to \"\(parameter)\", which is not a parameter of \(owner)")
            }
            return .value(value)
        }
    }
}
