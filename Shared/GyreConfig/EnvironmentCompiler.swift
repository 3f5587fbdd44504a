import GyreModel

/// Compiles an `environment:` value (job, docker image or run step) into
/// ordered variables.
///
/// Accepts a mapping (`FOO: bar`; numbers and booleans are kept as written,
/// e.g. `true`, `3`; an empty value is the empty string) or a list whose
/// entries are `KEY=VALUE` strings or mappings (`- FOO: bar`, as CircleCI
/// accepts). Bad entries are reported and skipped.
struct EnvironmentCompiler {
    func compile(_ node: ConfigNode) -> [EnvVar] {
        if node.isNull { return [] }
        switch node.node {
        case .mapping:
            guard let mapping = node.mapping() else { return [] }
            return mapping.entries.compactMap { entry in
                guard checkName(entry.key, at: entry.value) else { return nil }
                guard let value = value(of: entry.value) else { return nil }
                return EnvVar(entry.key, value)
            }
        case .sequence:
            guard let elements = node.sequence() else { return [] }
            return elements.flatMap { element -> [EnvVar] in
                if case .mapping = element.node { return compile(element) }
                return listEntry(element).map { [$0] } ?? []
            }
        case .scalar where node.scalarText?.contains("=") == true:
            // A single `KEY=VALUE` string (the schema allows a string), or one per line.
            let text = node.scalarText ?? ""
            let lines = text.split(whereSeparator: \.isNewline).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            if lines.count > 1, lines.allSatisfy({ $0.contains("=") }) {
                return lines.compactMap { listEntry(ConfigNode(Interpolation.string(String($0)), path: node.path,
                                                               diagnostics: node.diagnostics)) }
            }
            return listEntry(node).map { [$0] } ?? []
        default:
            node.reportExpected("a mapping of names to values, a KEY=VALUE string, or a list of KEY=VALUE strings "
                                + "or NAME: value mappings")
            return []
        }
    }

    private func value(of node: ConfigNode) -> String? {
        if node.isNull { return "" }
        return node.string(expected: "a string, number or boolean")
    }

    private func listEntry(_ node: ConfigNode) -> EnvVar? {
        guard let text = node.string(expected: "a KEY=VALUE string") else { return nil }
        guard let equals = text.firstIndex(of: "=") else {
            node.diagnostics.invalid(node.path, "expected a KEY=VALUE string, found \"\(text)\"")
            return nil
        }
        let name = String(text[..<equals])
        guard checkName(name, at: node) else { return nil }
        return EnvVar(name, String(text[text.index(after: equals)...]))
    }

    private func checkName(_ name: String, at node: ConfigNode) -> Bool {
        guard !name.isEmpty, !name.contains("="), !name.contains("\0") else {
            node.diagnostics.invalid(node.path, "invalid environment variable name \"\(name)\"")
            return false
        }
        return true
    }
}
