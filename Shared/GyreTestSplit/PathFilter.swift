/// `circleci-agent path-filter`: the pipeline parameters that the shipped
/// `circleci/path-filtering` orb sets from the files a change touched, as
/// CircleCI's orb computes them. Pure: main.swift asks git for the files.
///
/// Mapping lines are `path-regex parameter value [config-file]`, whitespace
/// separated; blank lines and `#` comments are skipped. A line applies when
/// its regex matches a whole changed path; its value is a JSON literal.
public enum PathFilter {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public struct Outcome: Equatable, Sendable {
        /// The parameters as a JSON object's text (later lines win).
        public var json: String
        /// The parameter names set, in mapping order.
        public var parameters: [String]
        /// The 4th-column config files of the lines that applied (none → the config path).
        public var configFiles: [String]
    }

    public static func apply(mapping: String, changed: [String], configPath: String) throws(Failure) -> Outcome {
        let rows = mapping.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map(String.init).filter {
            let line = $0.trimmingCharacters(inSet: " \t")
            return !line.isEmpty && !line.hasPrefix("#")
        }.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        guard let width = rows.first?.count else { throw Failure("the mapping is empty: give lines of path-regex parameter value") }
        guard width == 3 || width == 4 else {
            throw Failure("a mapping line has \(width) fields; expected path-regex parameter value [config-file]: \(rows[0].joined(separator: " "))")
        }
        var values: [(String, String)] = []
        var files: [String] = []
        for row in rows {
            guard row.count == width else {
                throw Failure("every mapping line needs \(width) fields (like the first); this one has \(row.count): \(row.joined(separator: " "))")
            }
            let regex: Regex<AnyRegexOutput>
            do {
                regex = try Regex("^(?:" + row[0] + ")$")
            } catch {
                throw Failure("\(row[0]) is not a valid regular expression: \(error)")
            }
            guard JSONShape.isLiteral(row[2]) else {
                throw Failure("the value of \(row[1]) must be a JSON literal (true, 3, \"text\"): \(row[2])")
            }
            guard changed.contains(where: { (try? regex.wholeMatch(in: $0)) != nil }) else { continue }
            values.removeAll { $0.0 == row[1] }
            values.append((row[1], row[2]))
            if width == 4, !files.contains(row[3]) { files.append(row[3]) }
        }
        let json = "{" + values.map { "\(JSONShape.quote($0.0)):\($0.1)" }.joined(separator: ",") + "}"
        return Outcome(json: json, parameters: values.map(\.0), configFiles: files.isEmpty ? [configPath] : files)
    }
}
