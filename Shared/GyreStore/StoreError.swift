/// A storage failure, safe to show: never carries SQL text or credentials.
public struct StoreError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidURL
        case unavailable
        case notFound
        case conflict
        case corrupt
        /// Arrived ahead of events it depends on: retry later.
        case notReady
        /// No key-encryption key is configured: secrets can be neither stored nor read.
        case noKey
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

import PostgresNIO

extension StoreError {
    /// What Postgres said, without the query or connection details, for logs.
    public static func reason(_ error: Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] { return "postgres: \(message)" }
            return "postgres: \(error.code)"
        }
        return "\(error)"
    }

    /// Whether Postgres itself refused the statement (bad data, a constraint), as opposed to being unreachable.
    public static func isRefusal(_ error: Error) -> Bool {
        (error as? PSQLError)?.serverInfo != nil
    }
}
