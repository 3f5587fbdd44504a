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

    /// Stores the events of `AuditEventsRecorded` message bodies (JSON text,
    /// as published) in one statement: Postgres reads the fields out of the
    /// JSON itself, so the service does no JSON work per event. An event whose
    /// id is stored already (a duplicate delivery) is skipped. Returns how many
    /// events the bodies held and how many were new; a body that is not such a
    /// message makes the statement fail (`StoreError.isRefusal`).
    public func insert(messages bodies: [String]) async throws -> (events: Int, new: Int) {
        guard !bodies.isEmpty else { return (0, 0) }
        let rows = try await database.query("""
            WITH e AS MATERIALIZED (
                SELECT x FROM unnest(\(bodies)::text[]) AS b(body), jsonb_array_elements(b.body::jsonb->'events') AS x
            ), inserted AS (
                INSERT INTO audit_events (id, action, actor, actor_id, target, target_id, scope, payload, metadata,
                                          occurred_at, version, success, request)
                SELECT (x->>'id')::uuid, x->>'action', x->'actor', x->'actor'->>'id', x->'target', x->'target'->>'id',
                       NULLIF(x->'scope', 'null'::jsonb), COALESCE(x->'payload', '{}'), COALESCE(x->'metadata', '{}'),
                       (x->>'occurred_at')::timestamptz, (x->>'version')::int, (x->>'success')::boolean,
                       NULLIF(x->'request', 'null'::jsonb)
                FROM e ORDER BY (x->>'occurred_at')::timestamptz, (x->>'id')::uuid
                ON CONFLICT (id) DO NOTHING
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM e)::int, (SELECT count(*) FROM inserted)::int
            """)
        for try await (events, new) in rows.decode((Int, Int).self) { return (events, new) }
        return (0, 0)
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
