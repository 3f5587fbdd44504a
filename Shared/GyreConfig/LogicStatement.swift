import GyreModel
import Foundation
import Yams

/// Evaluates a CircleCI logic statement (`when:` / `unless:` conditions),
/// after interpolation: a literal (truthy unless false, null, "", 0 or an
/// empty list/mapping), or a one-key mapping `and: [...]`, `or: [...]`,
/// `not: x`, `equal: [a, b, ...]`, `matches: {pattern, value}`.
struct LogicStatement {
    /// Nested deeper than this is refused.
    static let maxDepth = 50
    /// When set, a string that reads as an expression over pipeline values
    /// (`when: pipeline.git.branch == "main"`) is evaluated as one.
    var expressions: [String: ConfigExpression.Value]? = nil

    /// The statement's value, or nil after reporting.
    func evaluate(_ node: ConfigNode, depth: Int = 0) -> Bool? {
        guard depth < Self.maxDepth else {
            node.diagnostics.invalid(node.path, "the logic statement is nested too deeply")
            return nil
        }
        switch node.node {
        case .mapping(let raw):
            guard raw.count == 1, let mapping = node.mapping(), let entry = mapping.entries.first else {
                return raw.isEmpty ? false : Self.reportShape(node)
            }
            return evaluate(operator: entry.key, entry.value, depth: depth)
        case .sequence(let elements):
            return !elements.isEmpty
        default:
            if let expressions, let text = node.scalarText, Self.readsAsExpression(text) {
                do {
                    return try ConfigExpression.parse(text).isTrue(in: expressions)
                } catch {
                    node.diagnostics.invalid(node.path, "invalid expression: \(error)")
                    return nil
                }
            }
            return Self.truthy(node.node)
        }
    }

    /// A condition written as an expression rather than a literal: it names a
    /// pipeline value and compares or combines (or is just that value).
    static func readsAsExpression(_ text: String) -> Bool {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard trimmed.contains("pipeline.") else { return false }
        if trimmed.hasPrefix("pipeline."), !trimmed.contains(" ") { return true }
        return [" == ", " != ", "==", "!=", " starts-with ", " matches ", " and ", " or ", "not ", " < ", " > ", " <= ", " >= "]
            .contains { trimmed.contains($0) }
    }

    private func evaluate(operator name: String, _ value: ConfigNode, depth: Int) -> Bool? {
        switch name {
        case "and", "or":
            guard let elements = value.sequence(expected: "a list of logic statements") else { return nil }
            let results = elements.map { evaluate($0, depth: depth + 1) }
            if results.contains(where: { $0 == nil }) { return nil }
            return name == "and" ? results.allSatisfy { $0 == true } : results.contains(true)
        case "not":
            return evaluate(value, depth: depth + 1).map { !$0 }
        case "equal":
            guard let elements = value.sequence(expected: "a list of values to compare") else { return nil }
            let normalized = elements.map { Self.normalized($0.node) }
            guard let first = normalized.first else { return true }
            return normalized.allSatisfy { $0 == first }
        case "matches":
            guard let mapping = value.mapping(expected: "a mapping with pattern and value") else { return nil }
            mapping.rejectUnknownKeys(known: ["pattern", "value"], owner: "matches")
            guard let patternNode = mapping.required("pattern"), let pattern = patternNode.string(),
                  let valueNode = mapping.required("value") else { return nil }
            let text = Interpolation.text(of: valueNode.node) ?? ""
            guard let regex = try? Regex(pattern) else {
                patternNode.diagnostics.invalid(patternNode.path, "invalid regular expression \"\(pattern)\"")
                return nil
            }
            return (try? regex.wholeMatch(in: text)) != nil
        default:
            value.diagnostics.invalid(value.path, "unknown logic operator \"\(name)\"; expected and, or, not, "
                + "equal or matches")
            return nil
        }
    }

    private static func reportShape(_ node: ConfigNode) -> Bool? {
        node.diagnostics.invalid(node.path, "a logic statement mapping has exactly one key: and, or, not, equal or matches")
        return nil
    }

    /// CircleCI's truthiness of a literal.
    static func truthy(_ node: Node) -> Bool {
        switch node {
        case .mapping(let mapping): return !mapping.isEmpty
        case .sequence(let sequence): return !sequence.isEmpty
        case .alias: return true
        case .scalar:
            guard let text = Interpolation.text(of: node) else { return false }
            switch text.lowercased() {
            case "", "false", "0", "null", "~", "no", "off": return false
            default: return Double(text) != 0
            }
        }
    }

    /// A comparable form: booleans and numbers by value, text as is.
    static func normalized(_ node: Node) -> String {
        guard let text = Interpolation.text(of: node) else { return "\(node)" }
        let isPlain = node.scalar.map { $0.style == .plain || $0.style == .any } ?? false
        switch text.lowercased() {
        case "true" where isPlain || node.tag.description == Tag.Name.str.rawValue: return "bool:true"
        case "false" where isPlain || node.tag.description == Tag.Name.str.rawValue: return "bool:false"
        default: break
        }
        if let number = Double(text), !text.isEmpty { return "number:\(number)" }
        return "text:" + text
    }
}
