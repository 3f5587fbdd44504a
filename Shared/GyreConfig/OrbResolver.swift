import Foundation
import Yams

/// Builds the ``Scope`` of a config: its own definitions and its orbs.
///
/// An orb is inline (a mapping under `orbs:` with its own commands,
/// executors, jobs and orbs) or a registry reference (`circleci/node@5.0.2`).
/// Nothing is fetched: a reference is read from the operator's directory of
/// imported orbs (``OrbCatalog``: Postgres, a directory, the shipped orbs),
/// or rejected with a message naming the command that imports it.
struct OrbResolver {
    /// The imported and shipped registry orbs.
    var orbs: OrbCatalog
    var diagnostics: Diagnostics
    /// Applies the `pipeline.*` interpolation to an imported orb, as it was to the config.
    var interpolate: (Node, NodePath) -> Node = { node, _ in node }

    /// Orbs that use orbs deeper than this are refused.
    static let maxDepth = 8

    static let orbKeys: Set<String> = [
        "version", "description", "display", "orbs", "commands", "executors", "jobs", "examples",
    ]

    /// The scope of the config's root mapping.
    func scope(root: ConfigMapping) -> Scope {
        let scope = Scope(prefix: "")
        scope.read(root)
        readOrbs(root["orbs"], into: scope, depth: 0)
        return scope
    }

    private func readOrbs(_ node: ConfigNode?, into scope: Scope, depth: Int) {
        guard let node, !node.isNull,
              let orbs = node.mapping(expected: "a mapping of orb names to orb references or inline orbs") else { return }
        for entry in orbs.entries {
            if let orb = orb(entry.value, name: scope.prefix + entry.key, depth: depth) {
                scope.orbs[entry.key] = orb
            } else {
                scope.brokenOrbs.insert(entry.key)
            }
        }
    }

    private func orb(_ node: ConfigNode, name: String, depth: Int) -> Scope? {
        guard depth < Self.maxDepth else {
            diagnostics.invalid(node.path, "orbs are nested too deeply")
            return nil
        }
        switch node.node {
        case .mapping:
            guard let mapping = node.mapping() else { return nil }
            return inline(mapping, name: name, depth: depth)
        case .scalar where !node.isNull:
            guard let reference = node.string(expected: "an orb reference such as circleci/node@5.0.2") else {
                return nil
            }
            return imported(reference, at: node, name: name, depth: depth)
        default:
            node.reportExpected("an orb reference (namespace/name@version) or an inline orb mapping")
            return nil
        }
    }

    private func inline(_ mapping: ConfigMapping, name: String, depth: Int) -> Scope {
        mapping.rejectUnknownKeys(known: Self.orbKeys, owner: "orb")
        let scope = Scope(prefix: name + "/")
        scope.read(mapping)
        readOrbs(mapping["orbs"], into: scope, depth: depth + 1)
        return scope
    }

    private func imported(_ reference: String, at node: ConfigNode, name: String, depth: Int) -> Scope? {
        if case .malformed(let message) = orbs.resolve(reference) {
            diagnostics.invalid(node.path, message)
            return nil
        }
        // Validation never resolves registry orbs: their uses are left to processing.
        if diagnostics.validating { return nil }
        let text: String
        switch orbs.resolve(reference) {
        case .found(_, let source): text = source
        case .malformed(let message), .missing(let message):
            diagnostics.invalid(node.path, message)
            return nil
        }
        // The orb's own problems are reported under the config path that imports it.
        let orbDiagnostics = diagnostics
        guard let parsed = ConfigParser().parse(text, diagnostics: orbDiagnostics) else { return nil }
        let root = interpolate(parsed, node.path)
        guard let mapping = ConfigNode(root, path: node.path, diagnostics: orbDiagnostics).mapping() else { return nil }
        return inline(mapping, name: name, depth: depth)
    }
}
