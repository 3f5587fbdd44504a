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
        public var name: String
        public var capabilities: [String]
        public var capacity: Int
        public var running: Int
        public var accepting: Bool
        public var lastSeen: Date
    }

    public struct QueueRow: Sendable, Equatable {
        /// `docker`, `machine:<runner class>`, ...
        public var capability: String
        public var depth: Int
        public var oldest: Date?
    }

    public func agents() async throws -> [AgentRow] {
        var result: [AgentRow] = []
        for try await (name, capabilities, capacity, running, accepting, seen) in try await database.query("""
            SELECT name, capabilities::text, capacity, jsonb_array_length(running), accepting, last_seen FROM agents
            ORDER BY last_seen DESC, name
            """).decode((String, String, Int, Int, Bool, Date).self) {
            result.append(AgentRow(name: name, capabilities: (try? JSON.decode([String].self, capabilities)) ?? [],
                                   capacity: capacity, running: running, accepting: accepting, lastSeen: seen))
        }
        return result
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
