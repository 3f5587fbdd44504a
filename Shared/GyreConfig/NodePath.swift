/// Where a value sits in the config document, e.g. `jobs.build.steps[1].run.command`.
///
/// Every error the compiler reports carries one of these (rendered as a string),
/// so a person can find the offending line without a line number.
struct NodePath: Hashable, Sendable, CustomStringConvertible {
    /// One step down the document: a mapping key or a sequence index.
    enum Component: Hashable, Sendable {
        case key(String)
        case index(Int)
    }

    private(set) var components: [Component]

    /// The document itself (renders as the empty string).
    static let root = NodePath(components: [])

    /// The path of `key` inside the mapping at this path.
    func appending(_ key: String) -> NodePath {
        NodePath(components: components + [.key(key)])
    }

    /// The path of element `index` (zero-based) inside the sequence at this path.
    func appending(index: Int) -> NodePath {
        NodePath(components: components + [.index(index)])
    }

    /// Keys joined by `.`, indices as `[n]`: `workflows.main.jobs[0].requires[1]`.
    var description: String {
        var text = ""
        for component in components {
            switch component {
            case .key(let key):
                if !text.isEmpty { text += "." }
                text += key
            case .index(let index):
                text += "[\(index)]"
            }
        }
        return text
    }
}
