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

    /// Records a heartbeat and applies it to the leases it speaks of: the
    /// attempts it lists renew their leases (the agent's `last_seen`); an
    /// attempt that lost its lease is told to stop; an assignment given to
    /// this agent more than `grace` ago that it does not know never arrived,
    /// so its job is queued again (keeping its place in line).
    /// Returns how many jobs were queued again.
    public func recordHeartbeat(_ heartbeat: AgentHeartbeat, grace: Duration = .seconds(5)) async throws -> Int {
        try await database.transaction { connection in
            let agent = heartbeat.agentId
            // The heartbeat never touches `drained` (the admin's decision); an agent
            // that comes back under a new id while its old row is still there stays drained.
            try await connection.run("""
                INSERT INTO agents (id, name, capabilities, capacity, accepting, running, last_seen, drained)
                VALUES (\(agent), \(heartbeat.name), \(JSON.encode(heartbeat.capabilities))::jsonb,
                        \(heartbeat.capacity), \(heartbeat.accepting), \(JSON.encode(heartbeat.running))::jsonb, now(),
                        EXISTS (SELECT 1 FROM agents d WHERE d.name = \(heartbeat.name) AND d.drained))
                ON CONFLICT (id) DO UPDATE SET capabilities = EXCLUDED.capabilities, capacity = EXCLUDED.capacity,
                    accepting = EXCLUDED.accepting, running = EXCLUDED.running, last_seen = now()
                """, logger)
            // Attempts the agent runs that are not (or no longer) the job's current lease.
            if !heartbeat.running.isEmpty {
                let rows = try await LifecycleRows.read(heartbeat.running.map(\.jobId), on: connection, logger: logger)
                for attempt in heartbeat.running {
                    guard var row = rows[attempt.jobId] else { continue }
                    let actions = row.lifecycle.apply(.heartbeat(agent: agent, token: attempt.attempt)).actions
                    if !actions.isEmpty {
                        logger.warning("an agent runs an attempt that lost its lease: stopping it",
                                       metadata: ["agent_id": "\(agent)", "job_id": "\(attempt.jobId)",
                                                  "attempt": "\(attempt.attempt)"])
                    }
                    try await LifecycleRows.perform(actions, job: attempt.jobId, on: connection, logger: logger)
                }
            }
            // Assignments that never reached the agent.
            let known = Set(heartbeat.running + heartbeat.recent)
            let seconds = Double(grace.components.seconds)
            let stale = try await connection.run("""
                SELECT id FROM jobs WHERE agent_id = \(agent) AND status = 'queued'
                  AND assigned_at < now() - make_interval(secs => \(seconds))
                """, logger)
            var candidates: [UUID] = []
            for try await id in stale.decode(UUID.self) { candidates.append(id) }
            guard !candidates.isEmpty else { return 0 }
            var rows = try await LifecycleRows.lock(candidates, on: connection, logger: logger)
            var count = 0
            for id in candidates {
                guard var row = rows[id], let lease = row.lifecycle.lease, lease.agent == agent,
                      !known.contains(JobAttempt(jobId: id, attempt: lease.token)) else { continue }
                let transition = row.lifecycle.apply(.leaseExpired(agent: agent, token: lease.token))
                guard transition.isApplied else { continue }
                try await persist(row, transition.actions, message: "attempt \(lease.token) never reached agent \(heartbeat.name); queued again",
                                  on: connection)
                rows[id] = row
                count += 1
            }
            return count
        }
    }

    /// Agents silent for longer than `timeout` lose their leases: they are
    /// removed, and their unfinished jobs go back to the queue in their
    /// original place, each with a stop order for the old attempt in case the
    /// agent is alive after all. Only call this once this scheduler has
    /// watched the heartbeat queue for a whole lease period (`LeaseWatch`):
    /// the agents' silence must be measured from heartbeats it has really
    /// seen. Returns how many jobs were queued again.
    public func reapSilentAgents(timeout: Duration) async throws -> Int {
        try await database.transaction { connection in
            let seconds = Double(timeout.components.seconds)
            let dead = try await connection.run("""
                DELETE FROM agents WHERE last_seen < now() - make_interval(secs => \(seconds)) RETURNING id, name
                """, logger)
            var names: [UUID: String] = [:]
            for try await (id, name) in dead.decode((UUID, String).self) { names[id] = name }
            guard !names.isEmpty else { return 0 }
            logger.warning("agents stopped heartbeating", metadata: ["agents": "\(names.values.sorted())"])
            let rows = try await LifecycleRows.lock(heldBy: Array(names.keys), on: connection, logger: logger)
            var count = 0
            for var row in rows.values.sorted(by: { $0.id.uuidString < $1.id.uuidString }) {
                guard let lease = row.lifecycle.lease else { continue }
                let transition = row.lifecycle.apply(.agentLost(agent: lease.agent))
                guard transition.isApplied else { continue }
                let name = names[lease.agent] ?? "\(lease.agent)"
                try await persist(row, transition.actions,
                                  message: "attempt \(lease.token) lost: agent \(name) stopped heartbeating; queued again",
                                  on: connection)
                count += 1
            }
            return count
        }
    }

    /// Fails the jobs that have waited longer than `timeout` while no live
    /// agent offered what they need (their resource class), so a job no
    /// agent can take ends with a message instead of waiting forever; its
    /// siblings are not affected. Returns how many jobs failed.
    public func failUnplaceable(timeout: Duration, liveWithin: Duration) async throws -> Int {
        try await database.transaction { connection in
            let waited = Double(timeout.components.seconds)
            let live = Double(liveWithin.components.seconds)
            let rows = try await connection.run("""
                SELECT j.id, j.capability FROM jobs j
                WHERE j.status = 'queued' AND j.agent_id IS NULL AND (j.parallelism = 1 OR j.parent_id IS NOT NULL)
                  AND j.type <> 'approval' AND j.queued_at < now() - make_interval(secs => \(waited))
                  AND NOT EXISTS (SELECT 1 FROM agents a WHERE a.last_seen > now() - make_interval(secs => \(live))
                                  AND a.capabilities ? j.capability)
                ORDER BY j.id LIMIT 500
                """, logger)
            var capabilities: [UUID: String] = [:]
            for try await (id, capability) in rows.decode((UUID, String).self) { capabilities[id] = capability }
            guard !capabilities.isEmpty else { return 0 }
            // With their audit facts: each failure is a `workflow.job.finish` event.
            let locked = try await LifecycleRows.lock(Array(capabilities.keys), auditFacts: Array(capabilities.keys),
                                                      on: connection, logger: logger)
            var count = 0
            for id in capabilities.keys.sorted(by: { $0.uuidString < $1.uuidString }) {
                guard var row = locked[id], row.lifecycle.apply(.unplaceable).isApplied else { continue }
                let reason = WaitReason.noAgent(capability: capabilities[id] ?? "")
                let message = "no build agent offers \(WaitReason.describe(capabilities[id] ?? "")) "
                    + "(waited more than \(Int(waited)) s; GYRE_NO_AGENT_TIMEOUT_SECONDS)"
                logger.warning("a job no agent can take failed", metadata: ["job_id": "\(id)", "reason": "\(reason.code)"])
                try await LifecycleRows.save(id, row.lifecycle, message: message, on: connection, logger: logger)
                _ = try await LifecycleRows.announceFinished(row, at: Date(), on: connection, logger: logger)
                count += 1
            }
            return count
        }
    }

    /// Saves a job that went back to the queue, with its stop order and closed steps.
    func persist(_ row: LifecycleRows.Row, _ actions: [JobLifecycle.Action], message: String,
                 on connection: PostgresConnection) async throws {
        try await LifecycleRows.save(row.id, row.lifecycle, message: message, on: connection, logger: logger)
        try await LifecycleRows.perform(actions, job: row.id, on: connection, logger: logger)
        if let parent = row.parentId {
            _ = try await LifecycleRows.aggregate(parent: parent, at: Date(), on: connection, logger: logger)
        }
    }

    /// Places a batch of waiting jobs on live agents with free capacity
    /// (`Placement.choose`: capability, capacity, projects in turn, oldest
    /// first), in one transaction: one statement for every lease and one for
    /// every assignment message. Returns how many jobs were placed.
    public func place(liveWithin: Duration = .seconds(10), limit: Int = 500) async throws -> Int {
        try await database.transaction { connection in
            let seconds = Double(liveWithin.components.seconds)
            // Locking the agents serialises placement across scheduler replicas.
            let agentRows = try await connection.run("""
                SELECT a.id, a.capabilities::text, a.capacity - (
                    SELECT count(*) FROM jobs j WHERE j.agent_id = a.id AND j.status IN ('queued', 'running'))::int,
                    a.accepting, a.drained
                FROM agents a
                WHERE a.last_seen > now() - make_interval(secs => \(seconds))
                ORDER BY a.id FOR UPDATE OF a
                """, logger)
            var agents: [Placement.Agent] = []
            for try await (id, capabilities, free, accepting, drained) in
                agentRows.decode((UUID, String, Int, Bool, Bool).self) where free > 0 {
                agents.append(.init(id: id, capabilities: Set(try JSON.decode([String].self, capabilities)), free: free,
                                    availability: AgentAvailability(accepting: accepting, drained: drained)))
            }
            // Which agents take new jobs is `Placement`'s rule (`AgentAvailability`).
            guard agents.contains(where: \.availability.takesNewJobs) else { return 0 }
            let capabilities = Array(Set(agents.filter(\.availability.takesNewJobs).flatMap(\.capabilities)))
            let waiting = try await connection.run("""
                SELECT id, capability, project_slug, queued_at, attempt FROM jobs
                WHERE status = 'queued' AND agent_id IS NULL AND capability = ANY(\(capabilities))
                  AND (parallelism = 1 OR parent_id IS NOT NULL) AND type <> 'approval'
                ORDER BY queued_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """, logger)
            var jobs: [Placement.WaitingJob] = []
            var lifecycles: [UUID: JobLifecycle] = [:]
            for try await (id, capability, project, queuedAt, attempt) in
                waiting.decode((UUID, String, String, Date?, Int).self) {
                jobs.append(.init(id: id, capability: capability, project: project, queuedAt: queuedAt ?? .distantPast))
                lifecycles[id] = JobLifecycle(.queued(lastToken: attempt))
            }
            var ids: [UUID] = []
            var holders: [UUID] = []
            var tokens: [Int] = []
            // Each assignment's credential for the internal storage API: only its hash is kept.
            var secrets: [UUID: String] = [:]
            var hashes: [String] = []
            for choice in Placement.choose(jobs: jobs, agents: agents) {
                guard var lifecycle = lifecycles[choice.job] else { continue }
                for case .assign(let agent, let token) in lifecycle.apply(.placed(agent: choice.agent)).actions {
                    ids.append(choice.job)
                    holders.append(agent)
                    tokens.append(token)
                    let secret = IdentityStore.newSecret()
                    secrets[choice.job] = secret
                    hashes.append(IdentityStore.hash(secret))
                }
            }
            guard !ids.isEmpty else { return 0 }
            let rows = try await connection.run("""
                UPDATE jobs j SET agent_id = c.agent, attempt = c.token, assigned_at = now(), agent_token_hash = c.hash
                FROM unnest(\(ids)::uuid[], \(holders)::uuid[], \(tokens)::int[], \(hashes)::text[]) AS c(id, agent, token, hash),
                     workflows w, pipelines p
                WHERE j.id = c.id AND w.id = j.workflow_id AND p.id = j.pipeline_id AND j.status = 'queued'
                  AND j.agent_id IS NULL
                RETURNING j.id, c.agent, j.attempt, j.number, j.name, j.project_slug, j.pipeline_id, p.number, j.workflow_id,
                          w.name, p.vcs_url, p.branch, p.tag, p.revision, j.plan::text, j.node_index, j.parallelism, j.parent_id,
                          p.state = 'setup' AND p.continued_at IS NULL,
                          j.previous_run_id,
                          j.contexts <> '[]'::jsonb OR (p.state = 'setup' AND p.continued_at IS NULL)
                              OR EXISTS (SELECT 1 FROM project_env_vars v WHERE v.project_slug = j.project_slug)
                """, logger)
            var messages: [Outbox.Message] = []
            for try await (jobId, agentId, attempt, number, name, slug, pipelineId, pipelineNumber, workflowId, workflowName,
                           vcsURL, branch, tag, revision, plan, nodeIndex, parallelism, parentId, setup, previous, secret) in
                rows.decode((UUID, UUID, Int, Int, String, String, UUID, Int, UUID, String, String, String?, String?, String?,
                             String, Int?, Int, UUID?, Bool, UUID?, Bool).self) {
                let job = AgentJob(
                    jobId: jobId, attempt: attempt, number: number, name: name, projectSlug: slug,
                    pipelineId: pipelineId, pipelineNumber: pipelineNumber, workflowId: workflowId,
                    workflowName: workflowName, vcsURL: vcsURL, branch: branch, tag: tag, revision: revision ?? "",
                    buildURL: "\(externalURL)/\(slug)/\(number)", plan: try JSON.decode(JobPlan.self, plan),
                    nodeIndex: nodeIndex ?? 0, nodeTotal: max(1, parallelism), parentJobId: parentId,
                    previousRun: previous, jobToken: secrets[jobId],
                    secretEnvironment: secret ? true : nil, setupPipeline: setup ? true : nil)
                messages.append(Outbox.Message(JobAssignment(job: job),
                                               routingKey: Topology.RoutingKey.agent(agentId.uuidString.lowercased())))
            }
            try await Outbox.add(messages, on: connection, logger: logger)
            return messages.count
        }
    }
}
