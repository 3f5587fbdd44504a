import Foundation
import GyreModel
import Logging
import PostgresNIO

/// The audit log's table: the audit-log service inserts what it receives,
/// the frontend reads it for admins (JSON pages and CSV).
public struct AuditStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    /// Stores events in one statement; an event whose id is stored already
    /// (a duplicate delivery) is skipped. Returns how many were new.
    @discardableResult
    public func insert(_ events: [AuditEvent]) async throws -> Int {
        guard !events.isEmpty else { return 0 }
        func json<T: Encodable>(_ value: T) -> String {
            (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
        }
        let rows = try await database.query("""
            INSERT INTO audit_events (id, action, actor, actor_id, target, target_id, scope, payload, metadata, occurred_at,
                                      version, success, request)
            SELECT e.id, e.action, e.actor::jsonb, e.actor_id, e.target::jsonb, e.target_id, NULLIF(e.scope, '')::jsonb,
                   e.payload::jsonb, e.metadata::jsonb, e.occurred_at, e.version, e.success, NULLIF(e.request, '')::jsonb
            FROM unnest(\(events.map(\.id)), \(events.map(\.action)), \(events.map { json($0.actor) }),
                        \(events.map(\.actor.id)), \(events.map { json($0.target) }), \(events.map(\.target.id)),
                        \(events.map { $0.scope.map(json) ?? "" }), \(events.map { json($0.payload) }),
                        \(events.map { json($0.metadata) }), \(events.map(\.occurredAt)), \(events.map(\.version)),
                        \(events.map(\.success)), \(events.map { $0.request.map(json) ?? "" }))
                AS e(id, action, actor, actor_id, target, target_id, scope, payload, metadata, occurred_at, version, success,
                     request)
            ORDER BY e.occurred_at, e.id
            ON CONFLICT (id) DO NOTHING
            RETURNING 1
            """)
        var inserted = 0
        for try await _ in rows.decode(Int.self) { inserted += 1 }
        return inserted
    }

    /// Columns read back into an `AuditEvent` (`event(_:)`).
    static let columns = """
        id, action, actor::text, target::text, scope::text, payload::text, metadata::text, occurred_at, version, success,
        request::text
        """

    static func event(_ row: PostgresRow) throws -> AuditEvent {
        let (id, action, actor, target, scope, payload, metadata, occurred, version, success, request) = try row.decode(
            (UUID, String, String, String, String?, String, String, Date, Int, Bool, String?).self)
        var event = AuditEvent(
            id: id, action: action, actor: try JSON.decode(AuditEvent.Entity.self, actor),
            target: try JSON.decode(AuditEvent.Entity.self, target),
            scope: try scope.map { try JSON.decode(AuditEvent.Entity.self, $0) },
            payload: try JSON.decode([String: AuditValue].self, payload),
            metadata: try JSON.decode([String: String].self, metadata), occurredAt: occurred, success: success,
            request: try request.map { try JSON.decode(AuditEvent.Request.self, $0) })
        event.version = version
        return event
    }

    /// A page of the audit log in `occurred_at` order (then id): events with
    /// `from <= occurred_at < to`, optionally of one action, actor or target.
    /// `cursor` continues after the previous page; the answer's `next` is nil
    /// on the last page.
    public func query(from: Date? = nil, to: Date? = nil, action: String? = nil, actorId: String? = nil,
                      targetId: String? = nil, limit: Int = 100, cursor: AuditCursor? = nil) async throws
        -> (events: [AuditEvent], next: AuditCursor?) {
        let limit = max(1, min(limit, AuditQuery.maxLimit))
        let rows = try await database.query("""
            SELECT \(unescaped: Self.columns) FROM audit_events
            WHERE (\(from)::timestamptz IS NULL OR occurred_at >= \(from))
              AND (\(to)::timestamptz IS NULL OR occurred_at < \(to))
              AND (\(action)::text IS NULL OR action = \(action))
              AND (\(actorId)::text IS NULL OR actor_id = \(actorId))
              AND (\(targetId)::text IS NULL OR target_id = \(targetId))
              AND (\(cursor?.micros)::bigint IS NULL
                   OR (occurred_at, id) > ('epoch'::timestamptz + \(cursor?.micros) * interval '1 microsecond', \(cursor?.id)))
            ORDER BY occurred_at, id
            LIMIT \(limit + 1)
            """)
        var events: [AuditEvent] = []
        for try await row in rows { events.append(try Self.event(row)) }
        guard events.count > limit else { return (events, nil) }
        events.removeLast()
        return (events, events.last.map { AuditCursor(occurredAt: $0.occurredAt, id: $0.id) })
    }
}
