import Foundation

/// The registry orbs a compiler can use: imported versions (from Postgres or
/// a directory) and the orbs shipped with the server.
///
/// References resolve as CircleCI's registry resolves them:
/// `ns/orb@1.2.3` exactly; `@1.2` and `@1` to the highest imported version
/// with that prefix; `@volatile` to the highest of all. A shipped orb
/// (`circleci/continuation`, `circleci/path-filtering`) answers any version
/// that no imported one matches.
public struct OrbCatalog: Sendable, Equatable {
    /// One imported orb version.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var version: OrbVersion
        public var source: String

        public init(name: String, version: OrbVersion, source: String) {
            self.name = name
            self.version = version
            self.source = source
        }
    }

    /// `namespace/name` → its versions, highest first.
    private var versions: [String: [Entry]] = [:]
    /// Orbs shipped with the server (`namespace/name` → source).
    public var shipped: [String: String]

    public init(_ entries: [Entry] = [], shipped: [String: String] = ShippedOrbs.all) {
        self.shipped = shipped
        for entry in entries { versions[entry.name, default: []].append(entry) }
        for name in versions.keys { versions[name]!.sort { $0.version > $1.version } }
    }

    /// Every imported version, by name then highest first.
    public var entries: [Entry] { versions.keys.sorted().flatMap { versions[$0]! } }

    public enum Lookup: Sendable, Equatable {
        case found(version: String, source: String)
        /// Not a `namespace/name@version` reference: the message says why.
        case malformed(String)
        /// No imported version matches: the message names the import command.
        case missing(String)
    }

    /// Resolves `namespace/name@spec`.
    public func resolve(_ reference: String) -> Lookup {
        guard let (name, spec) = Self.split(reference) else {
            return .malformed("\"\(reference)\" is not an orb reference; expected namespace/name@version (e.g. circleci/node@5.0.2)")
        }
        let candidates = versions[name] ?? []
        if spec == "volatile", let highest = candidates.first {
            return .found(version: highest.version.description, source: highest.source)
        }
        if let wanted = OrbVersionSpec(spec) {
            if let match = candidates.first(where: { wanted.matches($0.version) }) {
                return .found(version: match.version.description, source: match.source)
            }
        } else if spec != "volatile" {
            if spec.hasPrefix("dev:") {
                return .missing("orb \(reference) is not available offline: development versions (dev:...) are never "
                                + "published to this server; import a numbered version with "
                                + "`gyre orb import FILE --name \(name)@1.0.0`")
            }
            return .malformed("orb \(reference): \"\(spec)\" is not a version; use x.y.z, x.y, x or volatile")
        }
        if let source = shipped[name] {
            return .found(version: spec, source: source)
        }
        let imported = candidates.map(\.version.description)
        let have = imported.isEmpty ? "no version of \(name) is imported"
            : "imported versions of \(name): \(imported.prefix(5).joined(separator: ", "))"
        let example = OrbVersionSpec(spec)?.exampleVersion ?? "1.0.0"
        return .missing("orb \(reference) is not available offline (\(have)); this server never downloads orbs: "
                        + "import its source with `gyre orb import FILE --name \(name)@\(example)`, or inline it under orbs:")
    }

    /// `ns/name@spec` → (`ns/name`, `spec`) when both parts are plain names.
    static func split(_ reference: String) -> (String, String)? {
        guard let at = reference.firstIndex(of: "@") else { return nil }
        let name = String(reference[..<at])
        let spec = String(reference[reference.index(after: at)...])
        guard isName(name), !spec.isEmpty, spec.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "/" }) else {
            return nil
        }
        return (name, spec)
    }

    /// `namespace/name`, each part letters, digits, `-` and `_` (not leading with `.`).
    public static func isName(_ name: String) -> Bool {
        let parts = name.split(separator: "/", omittingEmptySubsequences: false)
        let allowed: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) }
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && !$0.hasPrefix(".") && $0.allSatisfy(allowed) }
    }

    /// Reads `<dir>/<namespace>/<name>@<version>.yml` files (`GYRE_ORB_DIR`, `gyre config process --orb-dir`).
    public init(directory: URL, shipped: [String: String] = ShippedOrbs.all) {
        var entries: [Entry] = []
        let manager = FileManager.default
        for namespace in (try? manager.contentsOfDirectory(atPath: directory.path)) ?? [] {
            let folder = directory.appendingPathComponent(namespace)
            for file in (try? manager.contentsOfDirectory(atPath: folder.path)) ?? [] where file.hasSuffix(".yml") {
                let base = String(file.dropLast(4))
                guard let (name, spec) = Self.split("\(namespace)/\(base)"), let version = OrbVersion(spec),
                      let source = try? String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                else { continue }
                entries.append(Entry(name: name, version: version, source: source))
            }
        }
        self.init(entries, shipped: shipped)
    }
}

/// A published orb version: `major.minor.patch`.
public struct OrbVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    /// Exactly three non-negative whole numbers.
    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let numbers = parts.compactMap(Self.number)
        guard parts.count == 3, numbers.count == 3 else { return nil }
        self.init(numbers[0], numbers[1], numbers[2])
    }

    static func number(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.count <= 9, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber) else { return nil }
        return Int(text)
    }

    public static func < (lhs: OrbVersion, rhs: OrbVersion) -> Bool {
        (lhs.major, lhs.minor, lhs.patch) < (rhs.major, rhs.minor, rhs.patch)
    }

    public var description: String { "\(major).\(minor).\(patch)" }
}

/// `1`, `1.2` or `1.2.3`: the versions a reference accepts.
struct OrbVersionSpec: Equatable {
    var parts: [Int]

    init?(_ text: String) {
        let pieces = text.split(separator: ".", omittingEmptySubsequences: false)
        let numbers = pieces.compactMap(OrbVersion.number)
        guard (1...3).contains(pieces.count), numbers.count == pieces.count else { return nil }
        parts = numbers
    }

    func matches(_ version: OrbVersion) -> Bool {
        let have = [version.major, version.minor, version.patch]
        return zip(parts, have).allSatisfy { $0 == $1 }
    }

    /// A full version that this spec accepts, for messages.
    var exampleVersion: String { (parts + Array(repeating: 0, count: 3 - parts.count)).map(String.init).joined(separator: ".") }
}
