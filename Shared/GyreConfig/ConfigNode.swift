import Foundation
import Yams

/// A cursor into the config: a YAML node, the document path that led to it,
/// and where to report problems.
///
/// The typed readers (`mapping()`, `string()`, `bool()`, ...) return nil after
/// recording a problem at this node's path, so compilers can read a value and
/// move on, collecting every problem in one pass.
struct ConfigNode {
    let node: Node
    let path: NodePath
    let diagnostics: Diagnostics

    init(_ node: Node, path: NodePath, diagnostics: Diagnostics) {
        self.node = node
        self.path = path
        self.diagnostics = diagnostics
    }

    /// The node for `key` below this one (used by ``ConfigMapping``).
    func child(_ key: String, _ node: Node) -> ConfigNode {
        ConfigNode(node, path: path.appending(key), diagnostics: diagnostics)
    }

    // MARK: - Shape

    /// True for an empty value (`key:`), `~` and `null` written without quotes.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any else { return false }
        return node.tag.description == Tag.Name.null.rawValue
    }

    /// The raw text of a non-null scalar, exactly as written (no type conversion).
    var scalarText: String? {
        guard case .scalar(let scalar) = node, !isNull else { return nil }
        return scalar.string
    }

    /// A short description of what is here, for "expected X, found Y" messages.
    var kindDescription: String { Self.describeKind(of: node) }

    static func describeKind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            let tag = node.tag.description
            if tag == Tag.Name.null.rawValue && (scalar.style == .plain || scalar.style == .any) {
                return "nothing (an empty value)"
            }
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(37)) + "..." : scalar.string
            return "\"\(text)\""
        }
    }

    /// Records that something else was expected here.
    func reportExpected(_ expected: String) {
        diagnostics.invalid(path, "expected \(expected), found \(kindDescription)")
    }

    // MARK: - Typed readers

    /// This node as a mapping (merge keys applied), or nil after reporting.
    func mapping(expected: String = "a mapping") -> ConfigMapping? {
        guard case .mapping(let mapping) = node else {
            reportExpected(expected)
            return nil
        }
        return ConfigMapping(mapping, at: self)
    }

    /// This node's elements, each with its indexed path, or nil after reporting.
    func sequence(expected: String = "a list") -> [ConfigNode]? {
        guard case .sequence(let sequence) = node else {
            reportExpected(expected)
            return nil
        }
        return sequence.enumerated().map { index, element in
            ConfigNode(element, path: path.appending(index: index), diagnostics: diagnostics)
        }
    }

    /// Any non-null scalar as its text (`3` and `true` included), or nil after
    /// reporting.
    func string(expected: String = "a string") -> String? {
        guard let text = scalarText else {
            reportExpected(expected)
            return nil
        }
        return text
    }

    /// A non-empty string, or nil after reporting.
    func nonEmptyString(expected: String = "a non-empty string") -> String? {
        guard let text = string(expected: expected) else { return nil }
        guard !text.isEmpty else {
            diagnostics.invalid(path, "expected \(expected), found an empty string")
            return nil
        }
        return text
    }

    /// A YAML boolean (`true`/`false`, also `yes`/`no`/`on`/`off`), or nil after reporting.
    func bool() -> Bool? {
        guard let text = scalarText else {
            reportExpected("true or false")
            return nil
        }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            reportExpected("true or false")
            return nil
        }
    }

    /// A decimal integer, or nil after reporting.
    func integer(expected: String = "an integer") -> Int? {
        guard let text = scalarText else {
            reportExpected(expected)
            return nil
        }
        guard let value = Int(text) else {
            reportExpected(expected)
            return nil
        }
        return value
    }

    /// A string, or a list of strings (e.g. a docker `entrypoint`), or nil after reporting.
    func stringOrStringList(expected: String = "a string or a list of strings") -> [String]? {
        if case .sequence = node {
            guard let elements = sequence() else { return nil }
            let strings = elements.map { $0.string() }
            return strings.contains(where: { $0 == nil }) ? nil : strings.compactMap { $0 }
        }
        guard scalarText != nil else {
            reportExpected(expected)
            return nil
        }
        return string().map { [$0] }
    }
}
