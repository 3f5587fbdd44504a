import Foundation
import Yams

/// `<< name >>` substitution over a YAML tree, as CircleCI 2.1 does it.
///
/// Only references whose name starts with a prefix the caller handles
/// (`parameters.`, `pipeline.`, `matrix.`) are touched, and only within one
/// line, so shell heredocs (`cat <<EOF >> file`) pass through. A scalar that
/// is exactly one reference takes the referenced value itself (so a `steps`
/// parameter becomes a list, spliced into the list it appears in); otherwise
/// values are pasted in as text.
///
/// `\<<` is CircleCI's escape for a literal `<<` in 2.1 configs: it never opens
/// a reference or a section, and every pass leaves it as written, so that
/// ``unescape(_:)`` turns it into `<<` once, when the job or workflow is
/// compiled (not before: a later pass would read `\<< parameters.x >>` as a
/// reference).
struct Interpolation {
    /// What a reference stands for.
    enum Resolution {
        case value(Node)
        /// Not this pass's business (another prefix): left as written.
        case keep
        /// A problem to report at the scalar's path; the reference is left as written.
        case error(String)
    }

    /// Resolves the text between `<<` and `>>`, trimmed (e.g. `parameters.version`).
    let resolve: (String) -> Resolution
    let diagnostics: Diagnostics

    /// `node` with every reference replaced. Mapping keys are left alone.
    func apply(_ node: Node, path: NodePath) -> Node {
        switch node {
        case .scalar(let scalar):
            return substitute(scalar, path: path)
        case .mapping(let mapping):
            let pairs = mapping.map { key, value -> (Node, Node) in
                (key, apply(value, path: path.appending(key.scalar?.string ?? "<<")))
            }
            return .mapping(Node.Mapping(pairs, mapping.tag, mapping.style, mapping.mark))
        case .sequence(let sequence):
            var elements: [Node] = []
            for (index, element) in sequence.enumerated() {
                let replaced = apply(element, path: path.appending(index: index))
                if case .scalar = element, case .sequence(let spliced) = replaced {
                    elements.append(contentsOf: spliced)
                } else {
                    elements.append(replaced)
                }
            }
            return .sequence(Node.Sequence(elements, sequence.tag, sequence.style, sequence.mark))
        case .alias:
            return node
        }
    }

    private func substitute(_ scalar: Node.Scalar, path: NodePath) -> Node {
        var text = scalar.string
        var sectioned = false
        if text.contains("<<#") || text.contains("<<^") {
            let rendered = renderSections(text, path: path)
            sectioned = rendered != text
            text = rendered
        }
        let references = Self.references(in: text)
        guard !references.isEmpty else { return sectioned ? Self.string(text, style: scalar.style) : .scalar(scalar) }

        // A scalar that is exactly one reference takes the value as it is.
        if references.count == 1, let only = references.first,
           text.trimmingCharacters(in: .whitespacesAndNewlines) == String(text[only.range]) {
            switch resolve(only.name) {
            case .value(let value): return value
            case .keep: return .scalar(scalar)
            case .error(let message):
                diagnostics.invalid(path, message)
                return .scalar(scalar)
            }
        }

        var result = ""
        var cursor = text.startIndex
        for reference in references {
            result += text[cursor..<reference.range.lowerBound]
            cursor = reference.range.upperBound
            switch resolve(reference.name) {
            case .value(let value):
                guard let pasted = Self.text(of: value) else {
                    diagnostics.invalid(path, "<< \(reference.name) >> is a list or mapping and cannot be "
                        + "pasted into text; use it as the whole value")
                    result += text[reference.range]
                    continue
                }
                result += pasted
            case .keep:
                result += text[reference.range]
            case .error(let message):
                diagnostics.invalid(path, message)
                result += text[reference.range]
            }
        }
        result += text[cursor...]
        return Self.string(result, style: scalar.style)
    }

    /// Mustache-style sections, as CircleCI renders them in configs and orbs:
    /// `<<# parameters.x >>text<</ parameters.x >>` keeps `text` when the value
    /// is true (not false, empty or 0), `<<^ parameters.x >>text<</ parameters.x >>`
    /// when it is not. Sections of names another pass resolves are left as written.
    func renderSections(_ text: String, path: NodePath) -> String {
        var result = text
        var searchFrom = result.startIndex
        while let open = Self.firstSectionOpen(in: result, from: searchFrom) {
            let afterMarker = result.index(open.lowerBound, offsetBy: 3)
            guard let close = result[afterMarker...].range(of: ">>") else { break }
            let name = result[afterMarker..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            guard Self.prefixes.contains(where: name.hasPrefix), !name.contains(where: \.isWhitespace) else {
                searchFrom = close.upperBound
                continue
            }
            guard let end = Self.sectionEnd(in: result, after: close.upperBound, name: name) else {
                diagnostics.invalid(path, "\(result[open]) \(name) >> has no closing <</ \(name) >>")
                break
            }
            let inverted = result[open].hasSuffix("^")
            let shown: Bool
            switch resolve(name) {
            case .value(let value): shown = Self.truthy(value) != inverted
            case .keep:
                searchFrom = close.upperBound
                continue
            case .error(let message):
                diagnostics.invalid(path, message)
                searchFrom = close.upperBound
                continue
            }
            let body = String(result[close.upperBound..<end.lowerBound])
            let start = result.distance(from: result.startIndex, to: open.lowerBound)
            result.replaceSubrange(open.lowerBound..<end.upperBound, with: shown ? body : "")
            searchFrom = result.index(result.startIndex, offsetBy: start)
        }
        return result
    }

    private static func firstSectionOpen(in text: String, from start: String.Index) -> Range<String.Index>? {
        let hash = unescapedRange(of: "<<#", in: text, from: start)
        let caret = unescapedRange(of: "<<^", in: text, from: start)
        switch (hash, caret) {
        case (let a?, let b?): return a.lowerBound < b.lowerBound ? a : b
        case (let a?, nil): return a
        case (nil, let b?): return b
        default: return nil
        }
    }

    /// The `<</ name >>` that closes a section opened before `start` (nested sections of the same name counted).
    private static func sectionEnd(in text: String, after start: String.Index, name: String) -> Range<String.Index>? {
        var depth = 0
        var cursor = start
        while let open = unescapedRange(of: "<<", in: text, from: cursor) {
            guard let close = text[open.upperBound...].range(of: ">>") else { return nil }
            let inner = text[open.upperBound..<close.lowerBound]
            let marker = inner.first
            let innerName = inner.dropFirst().trimmingCharacters(in: .whitespaces)
            if (marker == "#" || marker == "^") && innerName == name { depth += 1 }
            if marker == "/" && innerName == name {
                if depth == 0 { return open.lowerBound..<close.upperBound }
                depth -= 1
            }
            cursor = close.upperBound
        }
        return nil
    }

    /// A section shows for a value that is not false, empty, 0 or null.
    static func truthy(_ node: Node) -> Bool {
        switch node {
        case .scalar(let scalar):
            if node.tag.description == Tag.Name.null.rawValue && (scalar.style == .plain || scalar.style == .any) { return false }
            return !["", "false", "0"].contains(scalar.string.trimmingCharacters(in: .whitespaces).lowercased())
        case .sequence(let sequence): return !sequence.isEmpty
        case .mapping(let mapping): return !mapping.isEmpty
        case .alias: return true
        }
    }

    // MARK: - Helpers

    /// One `<< name >>` in a text.
    struct Reference {
        var name: String
        var range: Range<String.Index>
    }

    static let prefixes = ["parameters.", "pipeline.", "matrix."]

    /// References on single lines whose name starts with a known prefix (an escaped `\<<` opens none).
    static func references(in text: String) -> [Reference] {
        guard text.contains("<<") else { return [] }
        var found: [Reference] = []
        var rest = text[...]
        while let open = unescapedRange(of: "<<", in: text, from: rest.startIndex) {
            let afterOpen = text[open.upperBound...]
            guard let close = afterOpen.range(of: ">>") else { break }
            let inner = afterOpen[..<close.lowerBound]
            let name = inner.trimmingCharacters(in: .whitespaces)
            if !inner.contains(where: \.isNewline), prefixes.contains(where: name.hasPrefix),
               name.allSatisfy({ !$0.isWhitespace }) {
                found.append(Reference(name: name, range: open.lowerBound..<close.upperBound))
                rest = afterOpen[close.upperBound...]
            } else {
                rest = afterOpen
            }
        }
        return found
    }

    /// The first `marker` at or after `start` that is not escaped as `\<<`.
    static func unescapedRange(of marker: String, in text: String, from start: String.Index) -> Range<String.Index>? {
        var cursor = start
        while let found = text[cursor...].range(of: marker) {
            if found.lowerBound > text.startIndex, text[text.index(before: found.lowerBound)] == "\\" {
                cursor = text.index(after: found.lowerBound)
                continue
            }
            return found
        }
        return nil
    }

    /// `node` with every `\<<` in its scalars (not its keys) turned into `<<`: what a 2.1
    /// config's text means once all interpolation is done. Version 2 configs keep the backslash.
    static func unescape(_ node: Node) -> Node {
        switch node {
        case .scalar(let scalar):
            guard scalar.string.contains("\\<<") else { return node }
            var unescaped = scalar
            unescaped.string = unescape(text: scalar.string)
            return .scalar(unescaped)
        case .mapping(let mapping):
            return .mapping(Node.Mapping(mapping.map { ($0.key, unescape($0.value)) }, mapping.tag, mapping.style,
                                         mapping.mark))
        case .sequence(let sequence):
            return .sequence(Node.Sequence(sequence.map(unescape), sequence.tag, sequence.style, sequence.mark))
        case .alias:
            return node
        }
    }

    /// `text` with every `\<<` turned into `<<`.
    static func unescape(text: String) -> String {
        text.replacingOccurrences(of: "\\<<", with: "<<")
    }

    /// The text of a scalar value; nil for lists and mappings.
    static func text(of node: Node) -> String? {
        guard case .scalar(let scalar) = node else { return nil }
        if node.tag.description == Tag.Name.null.rawValue && (scalar.style == .plain || scalar.style == .any) {
            return ""
        }
        return scalar.string
    }

    /// A string scalar (never read as null, whatever its text).
    static func string(_ text: String, style: Node.Scalar.Style = .plain) -> Node {
        .scalar(Node.Scalar(text, Tag(.str), style == .any ? .plain : style))
    }
}
