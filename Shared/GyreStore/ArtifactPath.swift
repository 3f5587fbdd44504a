/// A relative path inside a job's artifacts, as an agent names it: checked so
/// it can never leave its directory or the URL space it is served from.
public struct ArtifactPath: Sendable, Hashable, CustomStringConvertible {
    /// Normalised: components joined by "/", no empty or "." components.
    public let value: String

    public var description: String { value }
    public var components: [Substring] { value.split(separator: "/") }

    /// Why a path was refused, in words an agent's operator can act on.
    public struct Invalid: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public static let maxLength = 1024

    /// Accepts `dir/file.txt`, `./a//b` (normalised to `a/b`) and backslash-free
    /// names; refuses empty paths, absolute paths, `..`, NUL and control characters.
    public init(_ raw: String) throws(Invalid) {
        guard !raw.isEmpty else { throw Invalid(description: "the path is empty; give a path relative to the job's artifacts") }
        guard !raw.hasPrefix("/") else {
            throw Invalid(description: "\"\(raw)\" is absolute; give a path relative to the job's artifacts")
        }
        guard raw.utf8.count <= Self.maxLength else {
            throw Invalid(description: "the path is longer than \(Self.maxLength) bytes")
        }
        if raw.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) {
            throw Invalid(description: "the path contains control characters")
        }
        if raw.contains("\\") {
            throw Invalid(description: "\"\(raw)\" contains a backslash; use / between directories")
        }
        var parts: [Substring] = []
        for part in raw.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { throw Invalid(description: "\"\(raw)\" contains \"..\"; paths must stay inside the job's artifacts") }
            parts.append(part)
        }
        guard !parts.isEmpty else { throw Invalid(description: "\"\(raw)\" names no file") }
        value = parts.joined(separator: "/")
    }
}
