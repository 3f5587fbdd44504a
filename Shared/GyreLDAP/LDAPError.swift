/// Why an LDAP login or connection check failed. Compare errors by ``code``;
/// ``message`` is for operators and never contains a password.
public struct LDAPError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, coarsely.
    public enum Code: String, Sendable {
        /// No TCP connection, or no answer within the timeout.
        case unreachable
        /// TLS could not be established (untrusted certificate, StartTLS refused, ...).
        case tls
        /// Wrong or empty password for an existing user.
        case invalidCredentials
        /// No entry with that login under the search base.
        case userNotFound
        /// More than one entry with that login under the search base.
        case ambiguousUser
        /// The service account (bind DN) could not bind.
        case serviceBindFailed
        /// The settings are invalid, or name things the directory does not have.
        case configuration
        /// The directory answered with an unexpected error.
        case server
    }

    /// What went wrong, coarsely.
    public var code: Code
    /// Human-readable detail for an operator.
    public var message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "LDAPError.\(code.rawValue): \(message)" }
}
