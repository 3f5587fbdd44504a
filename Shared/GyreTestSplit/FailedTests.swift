/// The tests that failed in a job's previous run, as the agent lists them for
/// `circleci tests run` in a rerun from failed: `file<TAB>classname` lines.
public struct FailedTests: Equatable, Sendable {
    public var files: Set<String>
    public var classnames: Set<String>
    public var count: Int

    public init(_ text: String) {
        var files = Set<String>()
        var classnames = Set<String>()
        var count = 0
        for line in text.split(whereSeparator: { $0 == "\n" }) where !line.isEmpty {
            count += 1
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            if let file = fields.first, !file.isEmpty { files.insert(Self.normalize(String(file))) }
            if fields.count > 1, !fields[1].isEmpty { classnames.insert(String(fields[1])) }
        }
        self.files = files
        self.classnames = classnames
        self.count = count
    }

    /// The lines for a list of (file, classname) pairs.
    public static func lines(_ tests: [(file: String, classname: String)]) -> String {
        tests.map { "\($0.file.replacing("\t", with: " "))\t\($0.classname.replacing("\t", with: " "))\n" }.joined()
    }

    /// The names (file paths or class names, as `tests run` reads them) that a failed test names.
    public func filter(_ names: [String]) -> [String] {
        names.filter { files.contains(Self.normalize($0)) || classnames.contains($0) }
    }

    static func normalize(_ path: String) -> String {
        var text = Substring(path)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        return String(text)
    }
}
