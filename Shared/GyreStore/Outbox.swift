import Foundation
import GyreProtocol
import Logging
import PostgresNIO

/// Messages written in the same transaction as the state change that causes
/// them, then relayed to RabbitMQ (see `OutboxRelay` in GyreServiceKit).
public enum Outbox {
    /// Adds a message to the outbox inside the caller's transaction.
    public static func add<M: GyreMessage>(_ message: M, routingKey: String, on connection: PostgresConnection,
                                           logger: Logger) async throws {
        let body = String(decoding: MessageCodec.encode(message), as: UTF8.self)
        try await connection.run(
            "INSERT INTO outbox (message_id, routing_key, type, body) VALUES (\(UUID()), \(routingKey), \(M.type), \(body))",
            logger)
    }

    /// A message ready to be added, for adding many in one statement.
    public struct Message: Sendable {
        public var routingKey: String
        public var type: String
        public var body: String

        public init<M: GyreMessage>(_ message: M, routingKey: String) {
            self.routingKey = routingKey
            self.type = M.type
            self.body = String(decoding: MessageCodec.encode(message), as: UTF8.self)
        }
    }

    /// Adds many messages in one statement, in order, inside the caller's transaction.
    public static func add(_ messages: [Message], on connection: PostgresConnection, logger: Logger) async throws {
        guard !messages.isEmpty else { return }
        let ids = messages.map { _ in UUID() }
        let keys = messages.map(\.routingKey)
        let types = messages.map(\.type)
        let bodies = messages.map(\.body)
        try await connection.run("""
            INSERT INTO outbox (message_id, routing_key, type, body)
            SELECT m.id, m.key, m.type, m.body FROM unnest(\(ids)::uuid[], \(keys)::text[], \(types)::text[], \(bodies)::text[]) WITH ORDINALITY
                AS m(id, key, type, body, n)
            ORDER BY n
            """, logger)
    }

    public struct Row: Sendable {
        public var id: Int64
        public var messageId: UUID
        public var routingKey: String
        public var type: String
        public var body: String
    }

    /// Messages nobody waits for (audit events): a relay pass takes them only
    /// together with messages that are waited for, or once they are older than
    /// `lazyDelayMilliseconds` (the relay's sweep), so under load they ride
    /// along with other messages instead of costing a publish and a delete of
    /// their own. The filter is in the query: a pass that finds only young
    /// ones reads nothing.
    public static let lazyRoutingKeys = [Topology.RoutingKey.auditEvent]
    public static let lazyDelayMilliseconds = 250

    /// Takes up to `limit` rows that no other relay holds, hands them to
    /// `publish`, and deletes them once it returns (in one transaction, so a
    /// relay that dies mid-way leaves them for the next; consumers tolerate the
    /// rare duplicate). Returns how many rows were relayed.
    public static func relay(_ database: Database, limit: Int,
                             publish: ([Row]) async throws -> Void) async throws -> Int {
        try await database.transaction { connection in
            var rows: [Row] = []
            let sequence = try await connection.run("""
                SELECT id, message_id, routing_key, type, body FROM outbox
                WHERE routing_key <> ALL(\(lazyRoutingKeys))
                   OR created_at <= now() - make_interval(secs => \(Double(lazyDelayMilliseconds) / 1000))
                   OR EXISTS (SELECT 1 FROM outbox waited WHERE waited.routing_key <> ALL(\(lazyRoutingKeys)))
                ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, database.logger)
            for try await (id, messageId, routingKey, type, body) in sequence.decode((Int64, UUID, String, String, String).self) {
                rows.append(Row(id: id, messageId: messageId, routingKey: routingKey, type: type, body: body))
            }
            guard !rows.isEmpty else { return 0 }
            try await publish(rows)
            let ids = rows.map(\.id)
            try await connection.run("DELETE FROM outbox WHERE id = ANY(\(ids))", database.logger)
            return rows.count
        }
    }
}
