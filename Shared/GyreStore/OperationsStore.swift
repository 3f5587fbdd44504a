import Foundation
import GyreModel
import PostgresNIO

/// What operators look at: the build agents and the queue.
public struct OperationsStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    public struct AgentRow: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var capabilities: [String]
        public var capacity: Int
        public var running: Int
        /// The agent's own word (false once it is shutting down).
        public var accepting: Bool
        /// The installation admin's drain.
        public var drained: Bool
        public var lastSeen: Date

        public var availability: AgentAvailability { AgentAvailability(accepting: accepting, drained: drained) }
    }

    public struct QueueRow: Sendable, Equatable {
        /// `docker`, `machine:<runner class>`, ...
        public var capability: String
        public var depth: Int
        public var oldest: Date?
    }

    public func agents() async throws -> [AgentRow] {
        var result: [AgentRow] = []
        for try await row in try await database.query("""
            SELECT \(unescaped: Self.agentColumns) FROM agents ORDER BY last_seen DESC, name
            """).decode((UUID, String, String, Int, Int, Bool, Bool, Date).self) {
            result.append(Self.agent(row))
        }
        return result
    }

    static let agentColumns = "id, name, capabilities::text, capacity, jsonb_array_length(running), accepting, drained, last_seen"

    static func agent(_ row: (UUID, String, String, Int, Int, Bool, Bool, Date)) -> AgentRow {
        AgentRow(id: row.0, name: row.1, capabilities: (try? JSON.decode([String].self, row.2)) ?? [], capacity: row.3,
                 running: row.4, accepting: row.5, drained: row.6, lastSeen: row.7)
    }

    /// Drains (or undrains) the registered agents called `name`: the
    /// scheduler places no new job on a drained agent; the jobs it runs
    /// finish and it keeps heartbeating. Recorded as `agent.drain` or
    /// `agent.undrain` in the same transaction. Throws `.notFound` when no
    /// agent of that name is registered.
    public func setDrained(_ name: String, _ drained: Bool, cause: AuditCause) async throws -> [AgentRow] {
        try await database.transaction { connection in
            var rows: [AgentRow] = []
            for try await row in try await connection.run("""
                UPDATE agents SET drained = \(drained) WHERE name = \(name)
                RETURNING \(unescaped: Self.agentColumns)
                """, database.logger).decode((UUID, String, String, Int, Int, Bool, Bool, Date).self) {
                rows.append(Self.agent(row))
            }
            guard let first = rows.first else { throw StoreError(.notFound, "no build agent \(name) is registered") }
            try await AuditEvents.record(AuditEvent(
                action: drained ? "agent.drain" : "agent.undrain", actor: cause.actor,
                target: AuditEvent.Entity(id: first.id, type: "agent", name: name),
                payload: ["agent_name": .string(name), "drained": .bool(drained),
                          "running": .int(rows.map(\.running).reduce(0, +))],
                request: cause.request), on: connection, logger: database.logger)
            return rows
        }
    }

    /// Jobs waiting for an agent, per capability, with the oldest one's queue time.
    public func queue() async throws -> [QueueRow] {
        var result: [QueueRow] = []
        for try await (capability, depth, oldest) in try await database.query("""
            SELECT capability, count(*)::int, min(queued_at) FROM jobs
            WHERE status = 'queued' AND agent_id IS NULL AND (parallelism = 1 OR parent_id IS NOT NULL) AND type <> 'approval'
            GROUP BY capability ORDER BY capability
            """).decode((String, Int, Date?).self) {
            result.append(QueueRow(capability: capability, depth: depth, oldest: oldest))
        }
        return result
    }

    /// The status of a project's newest pipeline on a branch (nil when it has none), for status badges.
    public func latestStatus(project: String, branch: String) async throws -> String? {
        for try await (state, statuses) in try await database.query("""
            SELECT p.state, COALESCE(array_agg(w.status ORDER BY w.created_at) FILTER (WHERE w.id IS NOT NULL), '{}')
            FROM pipelines p LEFT JOIN workflows w ON w.pipeline_id = p.id
            WHERE p.id = (SELECT id FROM pipelines WHERE project_slug = \(project) AND branch = \(branch) AND tag IS NULL
                          ORDER BY number DESC LIMIT 1)
            GROUP BY p.id, p.state
            """).decode((String, [String]).self) {
            if state == "errored" { return "errored" }
            return statuses.first { $0 != "success" } ?? (statuses.isEmpty ? state : "success")
        }
        return nil
    }
}
