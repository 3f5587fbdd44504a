import Foundation

/// The periods the audit-log service writes one file for: `[start, end)`,
/// aligned to multiples of `seconds` since 1970 (whole UTC hours for 3600).
public struct AuditPeriod: Sendable, Hashable, Comparable {
    /// Seconds since 1970 of the period's start.
    public let start: Int64
    public let seconds: Int64

    public init(start: Int64, seconds: Int64) {
        self.start = start
        self.seconds = max(1, seconds)
    }

    /// The period that holds `date`.
    public init(containing date: Date, seconds: Int64) {
        let length = max(1, seconds)
        let t = Int64(date.timeIntervalSince1970.rounded(.down))
        let floor = t >= 0 ? t / length * length : ((t + 1) / length - 1) * length
        self.init(start: floor, seconds: length)
    }

    public var end: Int64 { start + seconds }
    public var next: AuditPeriod { AuditPeriod(start: end, seconds: seconds) }
    public var startDate: Date { Date(timeIntervalSince1970: Double(start)) }
    public var endDate: Date { Date(timeIntervalSince1970: Double(end)) }

    /// Whether the period is over, `grace` seconds included, at `now`.
    public func isComplete(at now: Date, grace: Int64) -> Bool {
        Double(end + grace) <= now.timeIntervalSince1970
    }

    /// The grace a period waits after its end for events still on their way:
    /// a tenth of the period, at least 1 s and at most a minute.
    public static func grace(for seconds: Int64) -> Int64 { min(60, max(1, seconds / 10)) }

    /// The file's name: the start in UTC with dashes for colons (`2026-11-27T17-00-00Z.json`).
    public var fileName: String {
        let (y, mo, d, h, mi, s) = AuditTimestamp.civil(start)
        let p = AuditTimestamp.pad
        return "\(p(y, 4))-\(p(mo, 2))-\(p(d, 2))T\(p(h, 2))-\(p(mi, 2))-\(p(s, 2))Z.json"
    }

    /// Where the files go under the storage directory (CircleCI Server's layout).
    public static let directory = "audit-logs/audit_log/v1"

    /// The file's path relative to the storage directory.
    public var relativePath: String { "\(Self.directory)/\(fileName)" }

    /// The period whose file an unwritten event belongs in: its own, unless a
    /// file for its period (or a later one) was written already, whose events
    /// it missed: then the first period after the last one written.
    public static func target(of occurred: Date, lastWrittenEnd: Int64?, seconds: Int64) -> AuditPeriod {
        let own = AuditPeriod(containing: occurred, seconds: seconds)
        guard let written = lastWrittenEnd, own.start < written else { return own }
        return AuditPeriod(containing: Date(timeIntervalSince1970: Double(written)), seconds: seconds)
    }

    public static func < (lhs: AuditPeriod, rhs: AuditPeriod) -> Bool { lhs.start < rhs.start }
}
