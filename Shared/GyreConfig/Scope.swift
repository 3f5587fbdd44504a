/// The reusable definitions visible at one level: the config's own `commands`,
/// `executors` and `jobs`, and its orbs (each a scope of its own).
///
/// Names are looked up as CircleCI does: `name` in this scope, `orb/name` in
/// the orb called `orb` (recursively for orbs that use orbs). Inside an orb,
/// its own definitions are referenced without the prefix.
final class Scope {
    enum Kind: String {
        case command, executor, job
    }

    /// A definition and the scope its body resolves names in.
    struct Definition {
        var node: ConfigNode
        var scope: Scope
        /// As referenced from the top (`orb/name`), for messages.
        var qualifiedName: String
    }

    /// `""` for the config, `node/` for an orb called node (nested: `a/b/`).
    let prefix: String
    var commands: [String: ConfigNode] = [:]
    var executors: [String: ConfigNode] = [:]
    var jobs: [String: ConfigNode] = [:]
    /// Job names in file order.
    var jobOrder: [String] = []
    var orbs: [String: Scope] = [:]
    /// Orbs that were declared but could not be loaded (already reported).
    var brokenOrbs: Set<String> = []
    /// A `version: 2` config: no commands, executors or orbs exist.
    var version2 = false

    init(prefix: String) {
        self.prefix = prefix
    }

    /// Reads `commands`, `executors` and `jobs` of a config or an inline orb.
    func read(_ mapping: ConfigMapping) {
        commands = Self.definitions(mapping["commands"], expected: "a mapping of command names to commands")
        executors = Self.definitions(mapping["executors"], expected: "a mapping of executor names to executors")
        jobs = Self.definitions(mapping["jobs"], expected: "a mapping of job names to jobs")
        jobOrder = mapping["jobs"]?.node.mapping?.keys.compactMap(\.string) ?? []
    }

    private static func definitions(_ node: ConfigNode?, expected: String) -> [String: ConfigNode] {
        guard let node, !node.isNull, let mapping = node.mapping(expected: expected) else { return [:] }
        var result: [String: ConfigNode] = [:]
        for entry in mapping.entries { result[entry.key] = entry.value }
        return result
    }

    /// The definition `name` refers to, or nil.
    func lookup(_ kind: Kind, _ name: String) -> Definition? {
        if let slash = name.firstIndex(of: "/") {
            let orb = String(name[..<slash])
            return orbs[orb]?.lookup(kind, String(name[name.index(after: slash)...]))
        }
        let table: [String: ConfigNode]
        switch kind {
        case .command: table = commands
        case .executor: table = executors
        case .job: table = jobs
        }
        return table[name].map { Definition(node: $0, scope: self, qualifiedName: prefix + name) }
    }

    /// Why `name` is not found, in words, for an error message.
    func explainMissing(_ kind: Kind, _ name: String) -> String {
        if let slash = name.firstIndex(of: "/") {
            let orb = String(name[..<slash])
            if brokenOrbs.contains(orb) { return "the orb \"\(prefix)\(orb)\" could not be loaded (see its error)" }
            guard let inner = orbs[orb] else {
                return "there is no orb named \"\(prefix)\(orb)\"; declare it under orbs"
            }
            return inner.explainMissing(kind, String(name[name.index(after: slash)...]))
        }
        let plural = kind == .command ? "commands" : kind == .executor ? "executors" : "jobs"
        let place = prefix.isEmpty ? "under \(plural)" : "in orb \"\(prefix.dropLast())\""
        return "\(kind.rawValue) \"\(prefix)\(name)\" is not defined \(place)"
    }

    /// True if `orb` names an orb here that failed to load (its uses are not reported again).
    func isBroken(_ name: String) -> Bool {
        guard let slash = name.firstIndex(of: "/") else { return false }
        let orb = String(name[..<slash])
        if brokenOrbs.contains(orb) { return true }
        return orbs[orb]?.isBroken(String(name[name.index(after: slash)...])) ?? false
    }
}
