import Yams

/// A YAML mapping as the compiler sees it: string keys in file order, with
/// merge keys (`<<: *anchor`, `<<: [*a, *b]`) applied.
///
/// Merging follows the YAML merge-key spec: keys written in the mapping win
/// over merged ones, and among merged mappings the earlier one wins. Merged
/// keys come first, in the order of their sources. (Yams applies merge keys
/// only when decoding to Swift types, not to the `Node` tree, hence this.)
struct ConfigMapping {
    /// One key and its value (whose path ends with the key).
    struct Entry {
        let key: String
        let value: ConfigNode
    }

    /// Merges nested deeper than this are refused (a guard against runaway input).
    static let maxMergeDepth = 32

    /// The mapping node itself.
    let node: ConfigNode
    let entries: [Entry]
    private let indexByKey: [String: Int]

    init(_ mapping: Node.Mapping, at node: ConfigNode) {
        self.node = node
        let pairs = Self.flatten(mapping, at: node, depth: 0)
        var entries: [Entry] = []
        var index: [String: Int] = [:]
        for (key, value) in pairs {
            index[key] = entries.count
            entries.append(Entry(key: key, value: node.child(key, value)))
        }
        self.entries = entries
        self.indexByKey = index
    }

    var keys: [String] { entries.map(\.key) }

    var isEmpty: Bool { entries.isEmpty }

    /// The value for `key`, or nil when absent.
    subscript(key: String) -> ConfigNode? {
        indexByKey[key].map { entries[$0].value }
    }

    func contains(_ key: String) -> Bool { indexByKey[key] != nil }

    /// The value for `key`, or nil after reporting that it is missing.
    func required(_ key: String) -> ConfigNode? {
        if let value = self[key] { return value }
        node.diagnostics.invalid(node.path.appending(key), "missing required key \"\(key)\"")
        return nil
    }

    /// Checks every key against a schema: keys in `known` pass, keys in
    /// `unsupported` are reported as not supported yet (the value is the feature
    /// name), and the rest are returned for the caller to judge.
    func unknownEntries(known: Set<String>, unsupported: [String: String] = [:]) -> [Entry] {
        var unknown: [Entry] = []
        for entry in entries where !known.contains(entry.key) {
            if let feature = unsupported[entry.key] {
                node.diagnostics.unsupported(entry.value.path, feature: feature)
            } else {
                unknown.append(entry)
            }
        }
        return unknown
    }

    /// Like ``unknownEntries(known:unsupported:)``, reporting each unknown key
    /// as invalid: `unknown <owner> key "x"`.
    func rejectUnknownKeys(known: Set<String>, unsupported: [String: String] = [:], owner: String) {
        for entry in unknownEntries(known: known, unsupported: unsupported) {
            node.diagnostics.invalid(entry.value.path, "unknown \(owner) key \"\(entry.key)\"")
        }
    }

    // MARK: - Merge keys

    private static func isMergeKey(_ key: Node) -> Bool {
        key.tag.description == Tag.Name.merge.rawValue
    }

    /// The mapping's pairs with merge keys applied, keys as strings.
    private static func flatten(_ mapping: Node.Mapping, at node: ConfigNode, depth: Int) -> [(String, Node)] {
        var own: [(String, Node)] = []
        var ownKeys: Set<String> = []
        var merged: [(String, Node)] = []
        let mergePath = node.path.appending("<<")
        for (key, value) in mapping {
            if isMergeKey(key) {
                guard depth < maxMergeDepth else {
                    node.diagnostics.invalid(mergePath, "merge keys (<<) are nested too deeply")
                    continue
                }
                switch value {
                case .mapping(let source):
                    merged += flatten(source, at: node, depth: depth + 1)
                case .sequence(let sources):
                    for source in sources {
                        if case .mapping(let sourceMapping) = source {
                            merged += flatten(sourceMapping, at: node, depth: depth + 1)
                        } else {
                            node.diagnostics.invalid(mergePath, "a merge key (<<) takes a mapping or a list of mappings, "
                                + "found \(ConfigNode.describeKind(of: source)) in the list")
                        }
                    }
                default:
                    node.diagnostics.invalid(mergePath, "a merge key (<<) takes a mapping or a list of mappings, "
                        + "found \(ConfigNode.describeKind(of: value))")
                }
                continue
            }
            guard case .scalar(let scalar) = key else {
                node.diagnostics.invalid(node.path, "keys must be strings, found \(ConfigNode.describeKind(of: key))")
                continue
            }
            guard ownKeys.insert(scalar.string).inserted else {
                node.diagnostics.invalid(node.path.appending(scalar.string), "duplicate key \"\(scalar.string)\"")
                continue
            }
            own.append((scalar.string, value))
        }
        guard !merged.isEmpty else { return own }

        var result: [(String, Node)] = []
        var position: [String: Int] = [:]
        for (key, value) in merged where position[key] == nil {
            position[key] = result.count
            result.append((key, value))
        }
        for (key, value) in own {
            if let index = position[key] {
                result[index].1 = value
            } else {
                position[key] = result.count
                result.append((key, value))
            }
        }
        return result
    }
}
