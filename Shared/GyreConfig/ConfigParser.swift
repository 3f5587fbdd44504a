import Yams

/// Turns config text into a YAML node tree, or explains in plain words why it
/// cannot: not YAML (with line and column), empty, or not a mapping at the top.
///
/// Aliases are resolved by Yams while composing (a redefined anchor name refers
/// to its latest definition, as YAML says); merge keys (`<<`) are left in the
/// tree and applied by ``ConfigMapping`` as the compiler walks it.
struct ConfigParser {
    /// Aliases let a small file describe a huge tree ("billion laughs"). The
    /// compiler walks the tree with aliases expanded, so refuse trees larger
    /// than this before walking them.
    static let maxExpandedNodes = 1_000_000

    /// The root mapping of `yaml`, or nil after recording a `.syntax` problem.
    func parse(_ yaml: String, diagnostics: Diagnostics) -> Node? {
        let root: Node?
        do {
            do {
                root = try Yams.compose(yaml: yaml)
            } catch YamlError.duplicatedKeysInMapping(let duplicates, _) where duplicates == ["<<"] {
                // Several merge keys in one mapping: read as one list of sources, as CircleCI does.
                root = try Yams.compose(yaml: MergeKeyLines.combine(yaml))
            }
        } catch let error as YamlError {
            diagnostics.syntax(Self.describe(error, in: yaml))
            return nil
        } catch {
            diagnostics.syntax("the config is not valid YAML: \(error)")
            return nil
        }
        guard let root, !ConfigNode(root, path: .root, diagnostics: diagnostics).isNull else {
            diagnostics.syntax("the config is empty; expected a mapping with version, jobs and workflows")
            return nil
        }
        guard case .mapping = root else {
            let found = ConfigNode.describeKind(of: root)
            diagnostics.syntax("the config must be a mapping (version:, jobs:, workflows:) at the top level, found \(found)")
            return nil
        }
        guard Self.expandedSize(of: root, limit: Self.maxExpandedNodes) <= Self.maxExpandedNodes else {
            diagnostics.syntax("the config expands to more than \(Self.maxExpandedNodes) values through aliases")
            return nil
        }
        return root
    }

    /// Counts nodes with every alias expanded, stopping once past `limit`.
    private static func expandedSize(of root: Node, limit: Int) -> Int {
        var count = 0
        var stack = [root]
        while let node = stack.popLast() {
            count += 1
            if count > limit { return count }
            switch node {
            case .scalar, .alias:
                break
            case .sequence(let sequence):
                stack.append(contentsOf: sequence)
            case .mapping(let mapping):
                for (key, value) in mapping {
                    stack.append(key)
                    stack.append(value)
                }
            }
        }
        return count
    }

    /// One readable line for a Yams/libyaml error: where, what, and the context.
    static func describe(_ error: YamlError, in yaml: String) -> String {
        switch error {
        case let .scanner(context, problem, mark, _),
             let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let location = "line \(mark.line), column \(mark.column)"
            guard let context else { return "invalid YAML: \(location): \(problem)" }
            if problem.hasPrefix("but ") {
                // libyaml phrases some problems as the second half of a sentence.
                return "invalid YAML: \(location): \(context.text), \(problem)"
            }
            return "invalid YAML: \(location): \(problem) "
                + "(\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        case let .reader(problem, offset, _, _):
            if let offset, let (line, column) = lineAndColumn(ofCharacterOffset: offset, in: yaml) {
                return "invalid YAML: line \(line), column \(column): \(problem)"
            }
            return "invalid YAML: \(problem)"
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.sorted().map { "\"\($0)\"" }.joined(separator: ", ")
            return "invalid YAML: line \(context.mark.line), column \(context.mark.column): "
                + "duplicate key \(keys) in the same mapping"
        case .memory:
            return "invalid YAML: out of memory while parsing"
        case .dataCouldNotBeDecoded:
            return "invalid YAML: the text could not be decoded"
        case .no, .writer, .emitter, .representer:
            return "invalid YAML: \(error)"
        }
    }

    /// 1-based line and column of the character at `offset`.
    private static func lineAndColumn(ofCharacterOffset offset: Int, in text: String) -> (Int, Int)? {
        guard offset >= 0 else { return nil }
        var line = 1
        var column = 1
        var seen = 0
        for character in text {
            if seen == offset { return (line, column) }
            if character.isNewline {
                line += 1
                column = 1
            } else {
                column += 1
            }
            seen += 1
        }
        return seen == offset ? (line, column) : nil
    }
}
