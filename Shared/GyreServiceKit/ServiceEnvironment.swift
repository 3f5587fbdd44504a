import Foundation
import Synchronization

/// Configuration from environment variables, validated as it is read: a bad
/// value is recorded as a problem (the service's `/status` answers 500 with
/// it) and the default is used so the process still starts and can report.
public final class ServiceEnvironment: Sendable {
    private let values: [String: String]
    private let recorded = Mutex<[String]>([])

    public init(_ values: [String: String] = ProcessInfo.processInfo.environment) {
        self.values = values
    }

    /// Problems found so far, e.g. `GYRE_PORT: "abc" is not a port number`.
    public var problems: [String] { recorded.withLock { $0 } }

    /// The variables whose names start with `prefix` (e.g. `GYRE_LDAP_`), for settings read by a library of their own.
    public func all(prefix: String) -> [String: String] {
        values.filter { $0.key.hasPrefix(prefix) }
    }

    public func problem(_ text: String) {
        recorded.withLock { $0.append(text) }
    }

    public func string(_ name: String, default value: String) -> String {
        guard let raw = values[name], !raw.isEmpty else { return value }
        return raw
    }

    public func optionalString(_ name: String) -> String? {
        guard let raw = values[name], !raw.isEmpty else { return nil }
        return raw
    }

    public func int(_ name: String, default value: Int, range: ClosedRange<Int> = Int.min...Int.max) -> Int {
        guard let raw = values[name], !raw.isEmpty else { return value }
        guard let parsed = Int(raw.trimmingCharacters(in: .whitespaces)), range.contains(parsed) else {
            problem("\(name): \"\(raw)\" is not a whole number in \(range.lowerBound)...\(range.upperBound)")
            return value
        }
        return parsed
    }

    public func port(_ name: String = "GYRE_PORT", default value: Int) -> Int {
        int(name, default: value, range: 1...65535)
    }

    public func bool(_ name: String, default value: Bool) -> Bool {
        guard let raw = values[name]?.lowercased(), !raw.isEmpty else { return value }
        switch raw {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default:
            problem("\(name): \"\(raw)\" is not true or false")
            return value
        }
    }

    public func list(_ name: String, default value: [String]) -> [String] {
        guard let raw = values[name] else { return value }
        return raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    // The settings every service shares.
    public var namespace: String { string("GYRE_NAMESPACE", default: "gyre") }
    public var postgresURL: String { string("GYRE_POSTGRES_URL", default: "postgres://gyre:gyre@127.0.0.1:5432/gyre") }
    public var amqpURL: String { string("GYRE_AMQP_URL", default: "amqp://guest:guest@127.0.0.1:5672/") }
    public var redisURL: String { string("GYRE_REDIS_URL", default: "redis://127.0.0.1:6379/0") }
    public var storageDirectory: String { string("GYRE_STORAGE_DIR", default: "/data/circle/storage-fileserver") }
    public var bindHost: String { string("GYRE_BIND", default: "0.0.0.0") }
    public var logLevel: String { string("GYRE_LOG_LEVEL", default: "info") }
    /// Where people reach the web UI and API (for links such as CIRCLE_BUILD_URL).
    public var externalURL: String { string("GYRE_EXTERNAL_URL", default: "http://localhost") }
    /// Directory of imported registry orbs (`<namespace>/<name>@<version>.yml`) for the config compiler; nil = none.
    public var orbDirectory: String? { optionalString("GYRE_ORB_DIR") }
}
