import Foundation
import GyreModel
import Yams

/// Assembles an orb source tree (the `src/` layout of orb repositories) into
/// one orb YAML, as `circleci orb pack` does:
///
/// - `@orb.yml` holds the top level (`version`, `description`, `display`, `orbs`, ...);
/// - `commands/`, `executors/`, `jobs/` and `examples/` hold one definition per
///   file, named after the file (`jobs/build.yml` → `jobs: {build: ...}`);
/// - `<<include(scripts/x.sh)>>` in any string is replaced by that file's
///   text (paths relative to the directory of `@orb.yml`).
///
/// Pure: the caller reads the tree into `files` (relative path → text).
public enum OrbPack {
    public struct Failure: Error, CustomStringConvertible, Equatable {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    static let sections = ["commands", "executors", "jobs", "examples"]

    /// The packed orb YAML.
    public static func pack(files: [String: String]) throws(Failure) -> String {
        guard let rootText = files["@orb.yml"] else {
            throw Failure("@orb.yml is missing: give the orb's src directory (the one holding @orb.yml)")
        }
        var top = try mapping(rootText, file: "@orb.yml")
        for section in sections {
            let prefix = section + "/"
            let names = files.keys.filter { $0.hasPrefix(prefix) && ($0.hasSuffix(".yml") || $0.hasSuffix(".yaml")) }
                .filter { !$0.dropFirst(prefix.count).contains("/") }.sorted()
            guard !names.isEmpty else { continue }
            if top.contains(where: { $0.key.string == section }) {
                throw Failure("@orb.yml defines \(section): and \(prefix) has files; keep each definition in one place")
            }
            var entries: [(Node, Node)] = []
            for file in names {
                let name = String(file.dropFirst(prefix.count)).replacingOccurrences(
                    of: #"\.ya?ml$"#, with: "", options: .regularExpression)
                entries.append((Node(name), try node(files[file]!, file: file)))
            }
            top.append((Node(section), Node.mapping(Node.Mapping(entries))))
        }
        let included = try include(Node.mapping(Node.Mapping(top)), files: files)
        do {
            return try Yams.serialize(node: included, width: -1, allowUnicode: true)
        } catch {
            throw Failure("cannot write the packed orb: \(error)")
        }
    }

    private static func node(_ text: String, file: String) throws(Failure) -> Node {
        do {
            guard let node = try Yams.compose(yaml: text) else { throw Failure("\(file) is empty") }
            return node
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure("\(file) is not valid YAML: \(error)")
        }
    }

    private static func mapping(_ text: String, file: String) throws(Failure) -> [(key: Node, value: Node)] {
        guard case .mapping(let mapping) = try node(text, file: file) else {
            throw Failure("\(file) must be a mapping (version:, description:, ...)")
        }
        return Array(mapping)
    }

    /// Replaces every `<<include(path)>>` in the tree's strings.
    static func include(_ node: Node, files: [String: String]) throws(Failure) -> Node {
        switch node {
        case .scalar(let scalar):
            guard scalar.string.contains("<<include(") else { return node }
            let text = try expand(scalar.string, files: files)
            return .scalar(Node.Scalar(text, .implicit, text.contains("\n") ? .literal : .plain))
        case .mapping(let mapping):
            var entries: [(Node, Node)] = []
            for (key, value) in mapping { entries.append((key, try include(value, files: files))) }
            return .mapping(Node.Mapping(entries, mapping.tag, mapping.style))
        case .sequence(let sequence):
            var items: [Node] = []
            for item in sequence { items.append(try include(item, files: files)) }
            return .sequence(Node.Sequence(items, sequence.tag, sequence.style))
        case .alias:
            return node
        }
    }

    static func expand(_ text: String, files: [String: String]) throws(Failure) -> String {
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "<<include(") {
            guard let end = rest[start.upperBound...].range(of: ")>>") else {
                throw Failure("unterminated <<include(...)>> in \"\(text.prefix(60))\"")
            }
            let path = rest[start.upperBound..<end.lowerBound].trimmingCharacters(in: .whitespaces)
            let normalized = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
            guard !normalized.split(separator: "/").contains(".."), let content = files[normalized] else {
                throw Failure("<<include(\(path))>>: no such file under the orb's src directory")
            }
            result += rest[..<start.lowerBound]
            result += content.hasSuffix("\n") && rest[end.upperBound...].isEmpty ? String(content.dropLast()) : content
            rest = rest[end.upperBound...]
        }
        return result + rest
    }
}

extension ConfigCompiler {
    /// Checks an orb's YAML before it is imported: a mapping with orb keys
    /// whose commands, executors and jobs validate as an inline orb would.
    /// Orbs it uses from the registry are not loaded (as in ``validate(yaml:)``).
    public func validateOrb(yaml: String) throws(ConfigErrors) {
        let diagnostics = Diagnostics(validating: true)
        guard let parsed = ConfigParser().parse(yaml, diagnostics: diagnostics) else { throw ConfigErrors(diagnostics.errors) }
        guard case .mapping = parsed else {
            throw ConfigErrors([ConfigError(.invalid, path: "",
                                            "an orb is a mapping (version:, commands:, executors:, jobs:, ...)")])
        }
        let wrapped = Node.mapping(Node.Mapping([
            (Node("version"), Node("2.1")),
            (Node("orbs"), Node.mapping(Node.Mapping([(Node("orb"), parsed)]))),
        ]))
        let text: String
        do {
            text = try Yams.serialize(node: wrapped, width: -1, allowUnicode: true)
        } catch {
            throw ConfigErrors([ConfigError(.syntax, path: "", "the orb cannot be read: \(error)")])
        }
        try validate(yaml: text)
    }
}
