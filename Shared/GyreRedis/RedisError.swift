/// An error from the Redis adapter. Messages never contain passwords.
public struct RedisError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Code: Sendable, Hashable {
        /// The Redis URL could not be parsed.
        case invalidURL
        /// No connection could be made (or AUTH/SELECT failed while connecting).
        case connectionFailed
        /// Reading or writing failed, or timed out; the connection was dropped.
        case ioError
        /// The server answered with an error (only thrown by ``RedisValue/checked()``).
        case serverError
        /// The reply could not be understood; the connection was dropped.
        case protocolError
    }

    /// What went wrong, coarsely.
    public var code: Code
    /// Human-readable detail.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "RedisError.\(code): \(message)" }
}
