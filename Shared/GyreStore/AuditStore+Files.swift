import Foundation
import GyreModel
import Logging
import PostgresNIO

/// The audit log's period files: each event goes into exactly one file.
/// Writers (one per audit-log replica) take turns under an advisory lock; a
/// period's file and the marks on its events (`file_period`) commit together.
extension AuditStore {
    /// The advisory lock class of the file writer ("audf").
    static let fileLockKey: Int64 = 0x6175_6466

    /// The end of the last period written (seconds since 1970), nil before the first file.
    public func lastWrittenEnd() async throws -> Int64? {
        let rows = try await database.query("SELECT extract(epoch FROM max(period_end))::bigint FROM audit_files")
        for try await value in rows.decode(Int64?.self) { return value }
        return nil
    }

    /// The earliest `occurred_at` of the events that are in no file yet.
    public func earliestUnfiled() async throws -> Date? {
        let rows = try await database.query("SELECT min(occurred_at) FROM audit_events WHERE file_period IS NULL")
        for try await value in rows.decode(Date?.self) { return value }
        return nil
    }

    public enum FileOutcome: Sendable, Equatable {
        /// The file was written with this many events.
        case written(Int)
        /// Another writer holds the lock, or this period (or a later one) is written already.
        case skipped
    }

    /// Writes `period`'s file: every event in no file yet that occurred before
    /// the period's end, in `occurred_at` order, handed to `sink` one by one
    /// (`sink.finish()` must make the file durable and visible); then the
    /// events are marked and the file recorded, in the same transaction. A
    /// crash before the commit leaves the events unmarked: the next attempt
    /// writes the same period's file again, replacing this one.
    public func writePeriod(_ period: AuditPeriod, path: String, sink: any AuditFileSink) async throws -> FileOutcome {
        let start = period.startDate
        let end = period.endDate
        return try await database.transaction { connection in
            var locked = false
            for try await value in try await connection.run(
                "SELECT pg_try_advisory_xact_lock(\(Self.fileLockKey))", logger).decode(Bool.self) { locked = value }
            guard locked else { return .skipped }
            var done = false
            for try await _ in try await connection.run(
                "SELECT 1 FROM audit_files WHERE period_end > \(start) LIMIT 1", logger).decode(Int.self) { done = true }
            guard !done else { return .skipped }
            let rows = try await connection.run("""
                WITH marked AS (
                    UPDATE audit_events SET file_period = \(start)
                    WHERE file_period IS NULL AND occurred_at < \(end)
                    RETURNING \(unescaped: Self.columns)
                )
                SELECT * FROM marked ORDER BY occurred_at, id
                """, logger)
            var count = 0
            try sink.begin()
            do {
                for try await row in rows {
                    try sink.write(try Self.event(row))
                    count += 1
                }
                guard count > 0 else {
                    sink.discard()
                    return .skipped
                }
                try sink.finish()
            } catch {
                sink.discard()
                throw error
            }
            try await connection.run("""
                INSERT INTO audit_files (period_start, period_end, path, events) VALUES (\(start), \(end), \(path), \(count))
                """, logger)
            return .written(count)
        }
    }
}

/// Where `writePeriod` puts a period's events (the audit-log service writes a JSON file).
public protocol AuditFileSink: Sendable {
    func begin() throws
    func write(_ event: AuditEvent) throws
    /// Makes the file durable and puts it in place.
    func finish() throws
    /// Drops what was written (nothing to write, or the transaction failed).
    func discard()
}
