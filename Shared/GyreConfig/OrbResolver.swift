import Foundation
import Yams

/// Builds the ``Scope`` of a config: its own definitions and its orbs.
///
/// An orb is inline (a mapping under `orbs:` with its own commands,
/// executors, jobs and orbs) or a registry reference (`circleci/node@5.0.2`).
/// Nothing is fetched: a reference is read from the operator's directory of
/// imported orbs (`<dir>/<namespace>/<name>@<version>.yml`), or rejected with
/// a message saying how to make it available.
struct OrbResolver {
    /// GYRE_ORB_DIR; nil = no imported orbs.
    var orbDirectory: URL?
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
        guard let file = Self.relativePath(of: reference) else {
            diagnostics.invalid(node.path, "\"\(reference)\" is not an orb reference; expected namespace/name@version")
            return nil
        }
        // Validation never resolves registry orbs: their uses are left to processing.
        if diagnostics.validating { return nil }
        guard let orbDirectory else {
            diagnostics.invalid(node.path, "orb \(reference) is not available offline; import it with the "
                + "operator's orb import or inline it")
            return nil
        }
        let url = orbDirectory.appendingPathComponent(file)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            diagnostics.invalid(node.path, "orb \(reference) is not available offline; import it with the "
                + "operator's orb import (expected \(url.path)) or inline it")
            return nil
        }
        // The orb's own problems are reported under the config path that imports it.
        let orbDiagnostics = diagnostics
        guard let parsed = ConfigParser().parse(text, diagnostics: orbDiagnostics) else { return nil }
        let root = interpolate(parsed, node.path)
        guard let mapping = ConfigNode(root, path: node.path, diagnostics: orbDiagnostics).mapping() else { return nil }
        return inline(mapping, name: name, depth: depth)
    }

    /// `namespace/name@version` → `namespace/name@version.yml`, refusing
    /// anything that could leave the directory.
    static func relativePath(of reference: String) -> String? {
        guard let at = reference.firstIndex(of: "@") else { return nil }
        let slug = reference[..<at]
        let version = reference[reference.index(after: at)...]
        let parts = slug.split(separator: "/", omittingEmptySubsequences: false)
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.:".contains($0)) }
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(allowed) && !$0.hasPrefix(".") }),
              !version.isEmpty, version.allSatisfy(allowed), !version.hasPrefix(".") else { return nil }
        return "\(slug)@\(version).yml"
    }
}
