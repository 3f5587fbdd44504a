/// A `save_cache`/`restore_cache` key as written in the config, e.g.
/// `deps-{{ .Branch }}-{{ checksum "package-lock.json" }}`, and its rendering.
/// Pure: the agent supplies the job's facts and how to checksum a file.
public struct CacheKeyTemplate: Sendable, Equatable {
    public let text: String

    public init(_ text: String) { self.text = text }

    /// What the template's expressions expand to.
    public struct Context: Sendable {
        public var branch: String
        public var buildNumber: Int
        public var revision: String
        /// The job's environment (including `CIRCLE_*`).
        public var environment: [String: String]
        /// Seconds since 1970, for `{{ epoch }}`.
        public var epoch: Int
        /// `arch1-linux-amd64` style, for `{{ arch }}`.
        public var arch: String

        public init(branch: String, buildNumber: Int, revision: String, environment: [String: String], epoch: Int,
                    arch: String) {
            self.branch = branch
            self.buildNumber = buildNumber
            self.revision = revision
            self.environment = environment
            self.epoch = epoch
            self.arch = arch
        }
    }

    /// Renders the key. `checksum` receives the file name as written (relative to the
    /// working directory, or absolute) and returns its checksum text.
    public func render(_ context: Context,
                       checksum: (String) async throws -> String) async throws -> String {
        var result = ""
        var rest = Substring(text)
        while let open = rest.firstRange(of: "{{") {
            result += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.firstRange(of: "}}") else {
                throw CacheKeyError(.unterminated, "cache key \"\(text)\" has a \"{{\" without a closing \"}}\"")
            }
            let expression = afterOpen[..<close.lowerBound].trimmingSpaces()
            result += try await expand(expression, context, checksum: checksum)
            rest = afterOpen[close.upperBound...]
        }
        result += rest
        return result
    }

    private func expand(_ expression: Substring, _ context: Context,
                        checksum: (String) async throws -> String) async throws -> String {
        switch expression {
        case ".Branch": return context.branch
        case ".BuildNum": return String(context.buildNumber)
        case ".Revision": return context.revision
        case "epoch": return String(context.epoch)
        case "arch": return context.arch
        default: break
        }
        if expression.hasPrefix(".Environment.") {
            let name = expression.dropFirst(".Environment.".count)
            // Go templates print a missing map entry as "<no value>"; CircleCI keys do the same.
            return context.environment[String(name)] ?? "<no value>"
        }
        if expression.hasPrefix("checksum") {
            let argument = expression.dropFirst("checksum".count).trimmingSpaces()
            guard argument.count >= 2, argument.first == "\"", argument.last == "\"" else {
                throw CacheKeyError(.badChecksum,
                                    "cache key \"\(text)\": write checksum with a quoted file name, e.g. {{ checksum \"package-lock.json\" }}")
            }
            return try await checksum(String(argument.dropFirst().dropLast()))
        }
        throw CacheKeyError(.unknownExpression,
                            "cache key \"\(text)\" uses {{ \(expression) }}, which is not a cache key template; use .Branch, .BuildNum, .Revision, .Environment.NAME, checksum \"file\", epoch or arch")
    }
}

/// Why a cache key cannot be rendered.
public struct CacheKeyError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable { case unterminated, badChecksum, unknownExpression }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

extension Substring {
    func trimmingSpaces() -> Substring {
        var s = self
        while let first = s.first, first == " " || first == "\t" { s.removeFirst() }
        while let last = s.last, last == " " || last == "\t" { s.removeLast() }
        return s
    }
}
