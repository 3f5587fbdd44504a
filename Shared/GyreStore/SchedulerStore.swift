import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// The picard-scheduler's state: which agents are alive, what they can take,
/// and which queued job goes where.
public struct SchedulerStore: Sendable {
    public let database: Database
    /// The API's base URL, for `CIRCLE_BUILD_URL`.
    public let externalURL: String

    public init(database: Database, externalURL: String) {
        self.database = database
        self.externalURL = externalURL
    }

    var logger: Logger { database.logger }

    /// Records a heartbeat, and requeues jobs assigned to this agent more than
    /// `grace` ago that the agent does not know: their assignment never arrived.
    /// Returns how many were requeued.
    public func recordHeartbeat(_ heartbeat: AgentHeartbeat, grace: Duration = .seconds(5)) async throws -> Int {
        try await database.transaction { connection in
            try await connection.run("""
                INSERT INTO agents (id, name, capabilities, capacity, accepting, running, last_seen)
                VALUES (\(heartbeat.agentId), \(heartbeat.name), \(JSON.encode(heartbeat.capabilities))::jsonb,
                        \(heartbeat.capacity), \(heartbeat.accepting), \(JSON.encode(heartbeat.running))::jsonb, now())
                ON CONFLICT (id) DO UPDATE SET capabilities = EXCLUDED.capabilities, capacity = EXCLUDED.capacity,
                    accepting = EXCLUDED.accepting, running = EXCLUDED.running, last_seen = now()
                """, logger)
            let known = heartbeat.running.map(\.jobId)
            let seconds = Double(grace.components.seconds)
            let requeued = try await connection.run("""
                UPDATE jobs SET agent_id = NULL, queued_at = now()
                WHERE agent_id = \(heartbeat.agentId) AND status = 'queued'
                  AND assigned_at < now() - make_interval(secs => \(seconds)) AND NOT (id = ANY(\(known)))
                RETURNING id
                """, logger)
            var count = 0
            for try await _ in requeued { count += 1 }
            return count
        }
    }

    /// Agents silent for longer than `timeout` are removed and their unfinished
    /// jobs queued again (a new attempt). Returns how many jobs were requeued.
    public func reapSilentAgents(timeout: Duration) async throws -> Int {
        try await database.transaction { connection in
            let seconds = Double(timeout.components.seconds)
            let dead = try await connection.run("""
                DELETE FROM agents WHERE last_seen < now() - make_interval(secs => \(seconds)) RETURNING id
                """, logger)
            var ids: [UUID] = []
            for try await id in dead.decode(UUID.self) { ids.append(id) }
            guard !ids.isEmpty else { return 0 }
            logger.warning("agents stopped heartbeating", metadata: ["agents": "\(ids)"])
            let requeued = try await connection.run("""
                UPDATE jobs SET agent_id = NULL, status = 'queued', queued_at = now(), started_at = NULL
                WHERE agent_id = ANY(\(ids)) AND status IN ('queued', 'running')
                RETURNING id
                """, logger)
            var count = 0
            for try await _ in requeued { count += 1 }
            return count
        }
    }

    struct LiveAgent {
        var id: UUID
        var capabilities: Set<String>
        var free: Int
    }

    /// Places waiting jobs, oldest first, on live agents with free capacity for
    /// their executor. Each placement bumps the job's attempt and writes the
    /// assignment to the outbox. Returns how many jobs were placed.
    public func place(liveWithin: Duration = .seconds(10), limit: Int = 100) async throws -> Int {
        try await database.transaction { connection in
            let seconds = Double(liveWithin.components.seconds)
            // Locking the agents serialises placement across scheduler replicas.
            let agentRows = try await connection.run("""
                SELECT a.id, a.capabilities::text, a.capacity - (
                    SELECT count(*) FROM jobs j WHERE j.agent_id = a.id AND j.status IN ('queued', 'running'))::int
                FROM agents a
                WHERE a.accepting AND a.last_seen > now() - make_interval(secs => \(seconds))
                ORDER BY a.id FOR UPDATE OF a
                """, logger)
            var agents: [LiveAgent] = []
            for try await (id, capabilities, free) in agentRows.decode((UUID, String, Int).self) where free > 0 {
                agents.append(LiveAgent(id: id, capabilities: Set(try JSON.decode([String].self, capabilities)), free: free))
            }
            guard !agents.isEmpty else { return 0 }

            let waiting = try await connection.run("""
                SELECT id, capability FROM jobs WHERE status = 'queued' AND agent_id IS NULL
                  AND (parallelism = 1 OR parent_id IS NOT NULL) AND type <> 'approval'
                ORDER BY queued_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger)
            var placements: [(UUID, UUID)] = []
            for try await (jobId, capability) in waiting.decode((UUID, String).self) {
                // The agent with the most free slots that can run it.
                guard let index = agents.indices.filter({ agents[$0].free > 0 && agents[$0].capabilities.contains(capability) })
                    .max(by: { agents[$0].free < agents[$1].free })
                else { continue }
                agents[index].free -= 1
                placements.append((jobId, agents[index].id))
            }
            for (jobId, agentId) in placements {
                let rows = try await connection.run("""
                    UPDATE jobs j SET agent_id = \(agentId), attempt = j.attempt + 1, assigned_at = now()
                    FROM workflows w, pipelines p
                    WHERE j.id = \(jobId) AND w.id = j.workflow_id AND p.id = j.pipeline_id AND j.status = 'queued'
                    RETURNING j.attempt, j.number, j.name, j.project_slug, j.pipeline_id, p.number, j.workflow_id, w.name,
                              p.vcs_url, p.branch, p.tag, p.revision, j.plan::text, j.node_index, j.parallelism, j.parent_id
                    """, logger)
                for try await (attempt, number, name, slug, pipelineId, pipelineNumber, workflowId, workflowName, vcsURL,
                               branch, tag, revision, plan, nodeIndex, parallelism, parentId) in
                    rows.decode((Int, Int, String, String, UUID, Int, UUID, String, String, String?, String?, String?, String,
                                 Int?, Int, UUID?).self) {
                    let job = AgentJob(
                        jobId: jobId, attempt: attempt, number: number, name: name, projectSlug: slug,
                        pipelineId: pipelineId, pipelineNumber: pipelineNumber, workflowId: workflowId,
                        workflowName: workflowName, vcsURL: vcsURL, branch: branch, tag: tag, revision: revision ?? "",
                        buildURL: "\(externalURL)/\(slug)/\(number)", plan: try JSON.decode(JobPlan.self, plan),
                        nodeIndex: nodeIndex ?? 0, nodeTotal: max(1, parallelism), parentJobId: parentId)
                    try await Outbox.add(JobAssignment(job: job), routingKey: Topology.RoutingKey.agent(agentId.uuidString.lowercased()),
                                         on: connection, logger: logger)
                }
            }
            return placements.count
        }
    }
}
