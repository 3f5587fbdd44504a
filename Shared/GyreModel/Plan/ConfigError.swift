/// A problem in a config file, located by its path in the document
/// (e.g. `jobs.build.steps[2].run`), with a message a person can act on.
public struct ConfigError: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Codable, Sendable {
        /// Not YAML, or not a mapping at the top.
        case syntax
        /// A key or value that is wrong by the schema.
        case invalid
        /// Valid CircleCI, but not something this server supports yet.
        case unsupported
    }

    public var code: Code
    public var path: String
    public var message: String

    public init(_ code: Code, path: String, _ message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    public var description: String {
        path.isEmpty ? message : "\(path): \(message)"
    }
}

/// All the problems found in one config.
public struct ConfigErrors: Error, Sendable, Equatable, CustomStringConvertible {
    public var errors: [ConfigError]

    public init(_ errors: [ConfigError]) {
        self.errors = errors
    }

    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
