/// A `circleci tests glob` pattern: `*` and `?` within one path segment,
/// `**` across segments, `[abc]`/`[a-z]`/`[!a]` classes and `{a,b}` alternatives.
public struct GlobPattern: Sendable, Equatable {
    public let text: String
    /// The pattern with `{a,b}` expanded, as path segments.
    let alternatives: [[String]]

    public init(_ text: String) {
        self.text = text
        alternatives = Self.expandBraces(text).map { Self.segments($0) }
    }

    /// The directory to search from: the leading segments without wildcards.
    public var roots: [String] {
        var result: [String] = []
        for segments in alternatives {
            // Up to the first segment with a wildcard.
            var prefix: [String] = []
            for segment in segments {
                if Self.hasWildcard(segment) { break }
                prefix.append(segment)
            }
            let absolute = segments.first == ""
            var root = prefix.joined(separator: "/")
            if absolute && root.isEmpty { root = "/" }
            if root.isEmpty { root = "." }
            if !result.contains(root) { result.append(root) }
        }
        return result
    }

    public func matches(_ path: String) -> Bool {
        let parts = Self.segments(path)
        return alternatives.contains { Self.match($0[...], parts[...]) }
    }

    static func segments(_ path: String) -> [String] {
        var text = Substring(path)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        let absolute = text.hasPrefix("/")
        let parts = text.split(separator: "/", omittingEmptySubsequences: true).map(String.init).filter { $0 != "." }
        return absolute ? [""] + parts : parts
    }

    static func hasWildcard(_ segment: String) -> Bool {
        segment.contains { $0 == "*" || $0 == "?" || $0 == "[" }
    }

    static func match(_ pattern: ArraySlice<String>, _ path: ArraySlice<String>) -> Bool {
        guard let first = pattern.first else { return path.isEmpty }
        if first == "**" {
            let rest = pattern.dropFirst()
            // `**` matches zero or more whole segments.
            var candidate = path
            while true {
                if match(rest, candidate) { return true }
                guard !candidate.isEmpty else { return false }
                candidate = candidate.dropFirst()
            }
        }
        guard let head = path.first, matchSegment(Array(first.unicodeScalars)[...], Array(head.unicodeScalars)[...]) else {
            return false
        }
        return match(pattern.dropFirst(), path.dropFirst())
    }

    static func matchSegment(_ pattern: ArraySlice<Unicode.Scalar>, _ name: ArraySlice<Unicode.Scalar>) -> Bool {
        guard let p = pattern.first else { return name.isEmpty }
        switch p {
        case "*":
            var candidate = name
            while true {
                if matchSegment(pattern.dropFirst(), candidate) { return true }
                guard !candidate.isEmpty else { return false }
                candidate = candidate.dropFirst()
            }
        case "?":
            guard !name.isEmpty else { return false }
            return matchSegment(pattern.dropFirst(), name.dropFirst())
        case "[":
            guard let c = name.first, let (matched, rest) = matchClass(pattern.dropFirst(), c) else {
                // An unterminated class is a literal "[".
                if let c = name.first, c == "[", !pattern.dropFirst().contains("]") {
                    return matchSegment(pattern.dropFirst(), name.dropFirst())
                }
                return false
            }
            return matched && matchSegment(rest, name.dropFirst())
        case "\\":
            let escaped = pattern.dropFirst()
            guard let literal = escaped.first, let c = name.first, literal == c else { return false }
            return matchSegment(escaped.dropFirst(), name.dropFirst())
        default:
            guard let c = name.first, c == p else { return false }
            return matchSegment(pattern.dropFirst(), name.dropFirst())
        }
    }

    /// Matches `c` against a class body (after `[`); nil when the class has no closing `]`.
    static func matchClass(_ body: ArraySlice<Unicode.Scalar>, _ c: Unicode.Scalar) -> (Bool, ArraySlice<Unicode.Scalar>)? {
        var rest = body
        var negate = false
        if let first = rest.first, first == "!" || first == "^" {
            negate = true
            rest = rest.dropFirst()
        }
        var matched = false
        var firstItem = true
        while let item = rest.first {
            if item == "]" && !firstItem { return (matched != negate, rest.dropFirst()) }
            firstItem = false
            rest = rest.dropFirst()
            if rest.count >= 2, rest.first == "-", let upper = rest.dropFirst().first, upper != "]" {
                if item.value <= c.value && c.value <= upper.value { matched = true }
                rest = rest.dropFirst(2)
            } else if item == c {
                matched = true
            }
        }
        return nil
    }

    /// `a{b,c}d` → `abd`, `acd` (nested and repeated braces too).
    static func expandBraces(_ text: String) -> [String] {
        let chars = Array(text)
        var depth = 0
        var open: Int?
        for (index, char) in chars.enumerated() {
            if char == "{" {
                if depth == 0 { open = index }
                depth += 1
            } else if char == "}" && depth > 0 {
                depth -= 1
                if depth == 0, let start = open {
                    let prefix = String(chars[..<start])
                    let suffix = String(chars[(index + 1)...])
                    var options: [String] = []
                    var level = 0
                    var current = ""
                    for c in chars[(start + 1)..<index] {
                        if c == "," && level == 0 {
                            options.append(current)
                            current = ""
                            continue
                        }
                        if c == "{" { level += 1 }
                        if c == "}" { level -= 1 }
                        current.append(c)
                    }
                    options.append(current)
                    guard options.count > 1 else { break }
                    return options.flatMap { expandBraces(prefix + $0 + suffix) }
                }
            }
        }
        return [text]
    }
}
