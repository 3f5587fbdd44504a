/// A Redis reply.
public enum RedisValue: Sendable, Equatable, Hashable {
    /// Nil bulk string or nil array.
    case null
    /// Simple string, e.g. "OK".
    case status(String)
    /// Integer reply.
    case integer(Int64)
    /// Bulk string (binary-safe).
    case bulk([UInt8])
    /// Array reply.
    case array([RedisValue])
    /// Error reply, e.g. "WRONGTYPE Operation against a key holding the wrong kind of value".
    case error(String)

    /// The value as text: status and bulk (decoded as UTF-8, invalid sequences repaired) and integers; nil otherwise.
    public var string: String? {
        switch self {
        case .status(let s): s
        case .bulk(let b): String(decoding: b, as: UTF8.self)
        case .integer(let i): String(i)
        default: nil
        }
    }

    /// The value as an integer: integer replies and bulk/status strings holding a decimal integer; nil otherwise.
    public var int: Int64? {
        switch self {
        case .integer(let i): i
        case .bulk, .status: string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The bytes of a bulk or status reply; nil otherwise.
    public var bytes: [UInt8]? {
        switch self {
        case .bulk(let b): b
        case .status(let s): Array(s.utf8)
        default: nil
        }
    }

    /// The elements of an array reply; nil otherwise.
    public var array: [RedisValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Whether this is `.null`.
    public var isNull: Bool { self == .null }

    /// Returns the value, or throws `.serverError` if it is an `.error` reply.
    public func checked() throws(RedisError) -> RedisValue {
        if case .error(let message) = self { throw RedisError(.serverError, message) }
        return self
    }
}
