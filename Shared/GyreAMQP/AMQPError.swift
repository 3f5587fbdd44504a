/// An error from the AMQP adapter.
///
/// Messages never contain passwords.
public struct AMQPError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Code: Sendable, Hashable {
        /// The AMQP URL could not be parsed.
        case invalidURL
        /// The TCP connection could not be opened or was lost.
        case connectionFailed
        /// The AMQP handshake (login, vhost access) failed.
        case loginFailed
        /// The broker closed the channel (e.g. a declare with conflicting arguments, an unknown exchange).
        case channelError
        /// The publisher or consumer was closed.
        case closed
        /// The broker nacked at least one published message.
        case publishNotConfirmed
        /// The broker did not answer in time.
        case timeout
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

    public var description: String { "AMQPError.\(code): \(message)" }
}
