import Yams

/// Expands a workflow job's `matrix` into one invocation per combination of
/// parameter values, as CircleCI does: combinations in parameter order (the
/// first parameter varies slowest), `exclude` removes combinations, names are
/// `<job>-<v1>-<v2>` unless `name:` (usually with `<< matrix.x >>`) says
/// otherwise, and `alias` (default: the job name) stands for all of them in
/// `requires`.
struct MatrixExpander {
    /// More combinations than this are refused.
    static let maxCombinations = 256

    struct Expansion {
        /// The combination's values, in parameter order.
        var values: [(name: String, value: Node, text: String)]
        /// The entry's options with `<< matrix.x >>` replaced (without `matrix`).
        var options: ConfigNode
    }

    /// The expansions and the alias, or nil after reporting.
    func expand(_ matrix: ConfigNode, options: ConfigMapping, job: String) -> (alias: String, [Expansion])? {
        guard let mapping = matrix.mapping(expected: "a mapping with parameters") else { return nil }
        mapping.rejectUnknownKeys(known: ["parameters", "exclude", "alias"], owner: "matrix")
        let alias = mapping["alias"]?.nonEmptyString() ?? job
        guard let parametersNode = mapping.required("parameters"),
              let parameters = parametersNode.mapping(expected: "a mapping of parameter names to lists of values")
        else { return nil }
        var axes: [(name: String, values: [Node])] = []
        for entry in parameters.entries {
            guard let values = entry.value.sequence(expected: "a list of values") else { return nil }
            guard !values.isEmpty else {
                entry.value.diagnostics.invalid(entry.value.path, "a matrix parameter needs at least one value")
                return nil
            }
            axes.append((entry.key, values.map(\.node)))
        }
        guard !axes.isEmpty else {
            parametersNode.diagnostics.invalid(parametersNode.path, "a matrix needs at least one parameter")
            return nil
        }
        let total = axes.reduce(1) { $0 * $1.values.count }
        guard total <= Self.maxCombinations else {
            matrix.diagnostics.invalid(matrix.path, "the matrix has \(total) combinations; at most "
                + "\(Self.maxCombinations) are allowed")
            return nil
        }
        var combinations: [[(name: String, value: Node, text: String)]] = [[]]
        for axis in axes {
            combinations = combinations.flatMap { prefix in
                axis.values.map { prefix + [(axis.name, $0, Interpolation.text(of: $0) ?? "\($0)")] }
            }
        }
        if let exclude = mapping["exclude"] {
            guard let excluded = self.excluded(exclude, axes: axes.map(\.name)) else { return nil }
            combinations.removeAll { combination in
                excluded.contains { $0 == combination.map(\.text) }
            }
        }
        let expansions = combinations.map { combination in
            Expansion(values: combination, options: interpolate(options, combination))
        }
        return (alias, expansions)
    }

    /// Each `exclude` entry as the texts of its values in parameter order.
    private func excluded(_ node: ConfigNode, axes: [String]) -> [[String]]? {
        guard let elements = node.sequence(expected: "a list of parameter combinations") else { return nil }
        var result: [[String]] = []
        for element in elements {
            guard let mapping = element.mapping(expected: "a mapping of every matrix parameter to a value") else {
                return nil
            }
            guard Set(mapping.keys) == Set(axes) else {
                element.diagnostics.invalid(element.path, "an exclude entry must give a value for every matrix "
                    + "parameter (" + axes.joined(separator: ", ") + ")")
                return nil
            }
            result.append(axes.map { axis in mapping[axis].flatMap { Interpolation.text(of: $0.node) } ?? "" })
        }
        return result
    }

    private func interpolate(_ options: ConfigMapping, _ values: [(name: String, value: Node, text: String)]) -> ConfigNode {
        let entries = options.entries.filter { $0.key != "matrix" }.map { ($0.key, $0.value.node) }
        let lookup = Dictionary(values.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
        let interpolation = Interpolation(resolve: { name in
            guard name.hasPrefix("matrix.") else { return .keep }
            let key = String(name.dropFirst("matrix.".count))
            guard let value = lookup[key] else {
                return .error("<< \(name) >> refers to \"\(key)\", which is not a parameter of this matrix")
            }
            return .value(value)
        }, diagnostics: options.node.diagnostics)
        let node = interpolation.apply(JobExpander.node(entries), path: options.node.path)
        return ConfigNode(node, path: options.node.path, diagnostics: options.node.diagnostics)
    }
}
