import Foundation
import GyreModel
import Yams

/// Several configuration files as one, as the path-filtering orb's
/// `generate-config` merges them (`yq eval-all '. as $item ireduce ({}; . * $item)'`):
/// mappings merge key by key, recursively; anything else from a later file
/// replaces the earlier value. Anchors and aliases are resolved first.
public enum ConfigMerge {
    public static func merge(_ texts: [String]) throws(ConfigErrors) -> String {
        var merged: Node = .mapping(Node.Mapping([]))
        for (index, text) in texts.enumerated() {
            let node: Node
            do {
                guard let composed = try Yams.compose(yaml: text) else { continue }
                node = composed
            } catch {
                throw ConfigErrors([ConfigError(.syntax, path: "", "configuration \(index + 1) of \(texts.count) is not YAML: \(error)")])
            }
            guard case .mapping = node else {
                throw ConfigErrors([ConfigError(.invalid, path: "", "configuration \(index + 1) of \(texts.count) is not a mapping")])
            }
            merged = deepMerge(merged, node)
        }
        do {
            return try Yams.serialize(node: merged, width: -1, allowUnicode: true)
        } catch {
            throw ConfigErrors([ConfigError(.syntax, path: "", "the merged configuration cannot be written: \(error)")])
        }
    }

    static func deepMerge(_ base: Node, _ overlay: Node) -> Node {
        guard case .mapping(let left) = base, case .mapping(let right) = overlay else { return overlay }
        var entries = Array(left).map { ($0.key, $0.value) }
        for (key, value) in right {
            if let index = entries.firstIndex(where: { $0.0 == key }) {
                entries[index].1 = deepMerge(entries[index].1, value)
            } else {
                entries.append((key, value))
            }
        }
        return .mapping(Node.Mapping(entries, left.tag, left.style))
    }
}
