import Foundation
import GyreModel
import PostgresNIO

extension PipelineStore {
    /// Why `job` has not started (nil when it is running or finished),
    /// worked out now from the workflow, the live agents and the queue.
    public func waitReason(for job: JobRecord, liveWithin: Duration = .seconds(10)) async throws -> WaitReason? {
        let capability = job.type == .approval ? "approval" : job.plan.requiredCapability
        var facts = WaitReason.Facts(status: job.status, capability: capability, approval: job.type == .approval)
        switch job.status {
        case .blocked, .onHold:
            let serial = try await database.query("""
                SELECT j.serial_group, (SELECT count(*)::int FROM jobs o JOIN pipelines op ON op.id = o.pipeline_id
                    WHERE o.serial_group = j.serial_group AND o.parent_id IS NULL AND o.id <> j.id
                      AND (o.status IN ('queued', 'running')
                           OR (o.status = 'blocked' AND o.serial_waiting_since IS NOT NULL
                               AND (op.created_at, op.number) < (p.created_at, p.number))))
                FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
                WHERE j.id = \(job.id) AND j.serial_waiting_since IS NOT NULL
                """)
            for try await (group, ahead) in serial.decode((String, Int).self) { facts.serialGroup = (group, ahead) }
            let rows = try await database.query("""
                SELECT name, status FROM jobs
                WHERE workflow_id = \(job.workflowId) AND parent_id IS NULL AND name = ANY(\(job.requires)) ORDER BY position
                """)
            for try await (name, status) in rows.decode((String, String).self)
                where !(JobStatus(rawValue: status)?.isFinal ?? false) {
                facts.unfinishedRequirements.append(name)
            }
        case .queued, .notRunning:
            if let agent = job.agentId {
                let rows = try await database.query("SELECT name FROM agents WHERE id = \(agent)")
                for try await name in rows.decode(String.self) { facts.agentName = name }
                facts.agentName = facts.agentName ?? "\(agent)"
            }
            let seconds = Double(liveWithin.components.seconds)
            // Agents that take new jobs count; drained ones are named (shutting-down ones are leaving).
            let agents = try await database.query("""
                SELECT count(*) FILTER (WHERE NOT a.drained)::int,
                       COALESCE(sum(a.capacity - (SELECT count(*) FROM jobs j
                           WHERE j.agent_id = a.id AND j.status IN ('queued', 'running'))) FILTER (WHERE NOT a.drained), 0)::int,
                       COALESCE(array_agg(DISTINCT a.name) FILTER (WHERE a.drained), '{}')
                FROM agents a
                WHERE a.accepting AND a.last_seen > now() - make_interval(secs => \(seconds)) AND a.capabilities ? \(capability)
                """)
            for try await (count, free, drained) in agents.decode((Int, Int, [String]).self) {
                facts.liveAgents = count
                facts.freeSlots = free
                facts.drainedAgents = drained.sorted()
            }
            let queuedAt = job.queuedAt ?? Date()
            let ahead = try await database.query("""
                SELECT count(*)::int FROM jobs
                WHERE status = 'queued' AND agent_id IS NULL AND capability = \(capability)
                  AND (parallelism = 1 OR parent_id IS NOT NULL) AND queued_at < \(queuedAt) AND id <> \(job.id)
                  AND (parent_id IS NULL OR parent_id <> \(job.id))
                """)
            for try await count in ahead.decode(Int.self) { facts.ahead = count }
        default:
            return nil
        }
        return WaitReason.explain(facts)
    }
}
