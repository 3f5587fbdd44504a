/// A branch or tag name pattern: a literal, or `/regex/` which must match the
/// whole name (as CircleCI does).
public enum NamePattern: Codable, Sendable, Equatable, Hashable {
    case exact(String)
    case regex(String)

    /// `/x/` is a regex, anything else a literal.
    public init(_ written: String) {
        if written.count >= 2, written.hasPrefix("/"), written.hasSuffix("/") {
            self = .regex(String(written.dropFirst().dropLast()))
        } else {
            self = .exact(written)
        }
    }

    /// False for an invalid regex (the compiler rejects those up front).
    public func matches(_ name: String) -> Bool {
        switch self {
        case .exact(let literal):
            return literal == name
        case .regex(let pattern):
            guard let regex = try? Regex(pattern) else { return false }
            return (try? regex.wholeMatch(in: name)) != nil
        }
    }

    public var isValid: Bool {
        if case .regex(let pattern) = self { return (try? Regex(pattern)) != nil }
        return true
    }
}

/// `only` / `ignore` lists. An empty `only` means "everything".
public struct PatternFilter: Codable, Sendable, Equatable {
    public var only: [NamePattern]
    public var ignore: [NamePattern]

    public init(only: [NamePattern] = [], ignore: [NamePattern] = []) {
        self.only = only
        self.ignore = ignore
    }

    public func allows(_ name: String) -> Bool {
        if ignore.contains(where: { $0.matches(name) }) { return false }
        return only.isEmpty || only.contains(where: { $0.matches(name) })
    }
}

/// A workflow job's `filters`. CircleCI's rules: a job runs for a branch
/// unless its branches filter excludes it; it runs for a tag only when it has
/// a tags filter that allows the tag.
public struct JobFilters: Codable, Sendable, Equatable {
    public var branches: PatternFilter?
    public var tags: PatternFilter?
    /// `filters: <expression>` as written, and what it came to for this pipeline
    /// (expressions are decided when the config is compiled).
    public var expression: String?
    public var expressionResult: Bool?

    public init(branches: PatternFilter? = nil, tags: PatternFilter? = nil) {
        self.branches = branches
        self.tags = tags
    }

    public init(expression: String, expressionResult: Bool) {
        self.expression = expression
        self.expressionResult = expressionResult
    }

    /// Whether the job runs for a pipeline on `branch` or `tag` (a tag wins when both are set).
    public func allows(branch: String?, tag: String?) -> Bool {
        if let expressionResult { return expressionResult }
        if let tag {
            guard let tags else { return false }
            return tags.allows(tag)
        }
        guard let branch else { return true }
        return branches?.allows(branch) ?? true
    }
}

extension Optional where Wrapped == JobFilters {
    /// The default filters (nil): every branch, no tags.
    public func allows(branch: String?, tag: String?) -> Bool {
        switch self {
        case .some(let filters): return filters.allows(branch: branch, tag: tag)
        case .none: return tag == nil
        }
    }
}
