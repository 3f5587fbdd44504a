import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// The workflow state transitions shared by the dispatcher (compile, advance,
/// auto-cancel) and the API (approve, cancel, rerun). Each runs inside the
/// caller's transaction, so a status change and the messages it causes
/// (outbox) commit together; each is guarded by the current status, so
/// running it twice changes nothing more.
///
/// Lock order: workflow row, then job rows (parents before runs).
enum WorkflowWrites {
    /// A job to create in a new workflow.
    struct NewJob {
        var name: String
        var requires: [String]
        var type: WorkflowJobType
        var plan: JobPlan
        var contexts: [String]
        /// Set for a job copied into a rerun as already successful: the job that really ran.
        var origin: UUID?
        /// `requires` statuses other than success (`- build: failed`), by requirement name.
        var requiredStatuses: [String: [JobStatus]] = [:]

        var parallelism: Int { type == .approval ? 1 : max(1, plan.parallelism) }
        var capability: String { type == .approval ? "approval" : plan.executor.requiredCapability }
    }

    /// The plan stored for an approval job, which runs nothing.
    static let approvalPlan = JobPlan(executor: .machine(resourceClass: "approval"), steps: [])

    /// `requires` statuses are kept in the job row's plan document, next to
    /// the JobPlan's own keys (which ignore it), so the `requires` column
    /// stays a list of names for every reader: `{"requiredStatuses": {"build": ["failed"]}}`.
    struct StoredStatuses: Codable {
        var requiredStatuses: [String: [JobStatus]]?

        /// The JSON merged into the row's plan (`{}` when every requirement must succeed).
        static func json(_ statuses: [String: [JobStatus]]) -> String {
            statuses.isEmpty ? "{}" : JSON.encode(StoredStatuses(requiredStatuses: statuses))
        }

        /// The statuses in a stored plan document (none when absent or unreadable).
        static func read(_ plan: String) -> [String: [JobStatus]] {
            ((try? JSON.decode(StoredStatuses.self, plan))?.requiredStatuses) ?? [:]
        }
    }

    /// Creates a workflow and its jobs (a parallel job as its row plus one run
    /// row per node): ready jobs `queued` with a `JobReady` per run, approval
    /// jobs whose requirements are met `on_hold`, the rest `blocked`.
    static func insertWorkflow(id workflowId: UUID, pipeline: UUID, project slug: String, name: String, position: Int,
                               jobs: [NewJob], rerunOf: UUID?, on connection: PostgresConnection,
                               logger: Logger) async throws {
        let numbers = try await connection.run("""
            UPDATE projects SET next_job_number = next_job_number + \(jobs.count) WHERE slug = \(slug)
            RETURNING next_job_number - \(jobs.count)
            """, logger)
        var first: Int?
        for try await value in numbers.decode(Int.self) { first = value }
        guard var number = first else {
            throw StoreError(.corrupt, "project \(slug) of a pipeline is missing")
        }
        var graph = WorkflowGraph(nodes: jobs.map {
            .init(name: $0.name, requires: $0.requires, status: $0.origin == nil ? .blocked : .success,
                  approval: $0.type == .approval, requiredStatuses: $0.requiredStatuses)
        })
        _ = graph.advance()
        let status = graph.status
        try await connection.run("""
            INSERT INTO workflows (id, pipeline_id, name, position, status, rerun_of, stopped_at)
            VALUES (\(workflowId), \(pipeline), \(name), \(position), \(status.rawValue), \(rerunOf),
                    \(status.isFinal ? Date() : nil))
            """, logger)
        for (index, job) in jobs.enumerated() {
            let jobStatus = graph.nodes[index].status
            let jobId = UUID()
            let now = Date()
            let queuedAt: Date? = jobStatus == .queued ? now : nil
            let stoppedAt: Date? = jobStatus == .success ? now : nil
            let plan = JSON.encode(job.plan)
            let statuses = StoredStatuses.json(job.requiredStatuses)
            let contexts = JSON.encode(job.contexts)
            let requires = JSON.encode(job.requires)
            try await connection.run("""
                INSERT INTO jobs (id, workflow_id, pipeline_id, project_slug, number, name, position, requires, status,
                                  capability, plan, queued_at, stopped_at, type, contexts, parallelism, origin_job_id)
                VALUES (\(jobId), \(workflowId), \(pipeline), \(slug), \(number), \(job.name), \(index), \(requires)::jsonb,
                        \(jobStatus.rawValue), \(job.capability), \(plan)::jsonb || \(statuses)::jsonb, \(queuedAt), \(stoppedAt),
                        \(job.type.rawValue), \(contexts)::jsonb, \(job.parallelism), \(job.origin))
                """, logger)
            if job.parallelism > 1 && job.origin == nil {
                for node in 0..<job.parallelism {
                    let runId = UUID()
                    try await connection.run("""
                        INSERT INTO jobs (id, workflow_id, pipeline_id, project_slug, number, name, position, requires,
                                          status, capability, plan, queued_at, type, contexts, parallelism, parent_id,
                                          node_index)
                        VALUES (\(runId), \(workflowId), \(pipeline), \(slug), \(number), \(job.name), \(index),
                                \(requires)::jsonb, \(jobStatus.rawValue), \(job.capability),
                                \(plan)::jsonb || \(statuses)::jsonb, \(queuedAt),
                                \(job.type.rawValue), \(contexts)::jsonb, \(job.parallelism), \(jobId), \(node))
                        """, logger)
                    if jobStatus == .queued {
                        try await Outbox.add(JobReady(jobId: runId), routingKey: Topology.RoutingKey.jobReady,
                                             on: connection, logger: logger)
                    }
                }
            } else if jobStatus == .queued {
                try await Outbox.add(JobReady(jobId: jobId), routingKey: Topology.RoutingKey.jobReady,
                                     on: connection, logger: logger)
            }
            number += 1
        }
    }

    /// Locks a workflow row; returns its status, or nil if there is no such workflow.
    static func lockWorkflow(_ id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> WorkflowStatus? {
        let rows = try await connection.run("SELECT status FROM workflows WHERE id = \(id) FOR UPDATE", logger)
        for try await status in rows.decode(String.self) { return WorkflowStatus(rawValue: status) ?? .error }
        return nil
    }

    /// Moves a (locked) workflow forward: blocked jobs whose requirements
    /// succeeded are queued (their runs, for a parallel job) or put on hold;
    /// those that cannot run any more become not_run; the workflow's status
    /// follows. Returns the job (run) ids that became queued.
    @discardableResult
    static func advance(workflow id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [UUID] {
        guard let current = try await lockWorkflow(id, on: connection, logger: logger) else { return [] }
        var ids: [String: (UUID, Int)] = [:]
        var nodes: [WorkflowGraph.Node] = []
        let rows = try await connection.run("""
            SELECT id, name, requires::text, status, type, parallelism,
                   jsonb_build_object('requiredStatuses', plan->'requiredStatuses')::text
            FROM jobs WHERE workflow_id = \(id) AND parent_id IS NULL ORDER BY position
            """, logger)
        for try await (jobId, name, requires, status, type, parallelism, statuses) in
            rows.decode((UUID, String, String, String, String, Int, String).self) {
            ids[name] = (jobId, parallelism)
            nodes.append(.init(name: name, requires: try JSON.decode([String].self, requires),
                               status: JobStatus(rawValue: status) ?? .infrastructureFail, approval: type == "approval",
                               requiredStatuses: StoredStatuses.read(statuses)))
        }
        var graph = WorkflowGraph(nodes: nodes)
        let change = graph.advance()
        var readyIds: [UUID] = []
        for name in change.ready {
            guard let (jobId, parallelism) = ids[name] else { continue }
            let updated = try await connection.run("""
                UPDATE jobs SET status = 'queued', queued_at = now() WHERE id = \(jobId) AND status = 'blocked' RETURNING id
                """, logger)
            var changed = false
            for try await _ in updated { changed = true }
            guard changed else { continue }
            var queued = [jobId]
            if parallelism > 1 {
                queued = []
                let runs = try await connection.run("""
                    UPDATE jobs SET status = 'queued', queued_at = now()
                    WHERE parent_id = \(jobId) AND status = 'blocked' RETURNING id
                    """, logger)
                for try await runId in runs.decode(UUID.self) { queued.append(runId) }
            }
            for jobId in queued {
                try await Outbox.add(JobReady(jobId: jobId), routingKey: Topology.RoutingKey.jobReady, on: connection,
                                     logger: logger)
            }
            readyIds += queued
        }
        for name in change.held {
            guard let (jobId, _) = ids[name] else { continue }
            try await connection.run("UPDATE jobs SET status = 'on_hold' WHERE id = \(jobId) AND status = 'blocked'", logger)
        }
        for name in change.skipped {
            guard let (jobId, _) = ids[name] else { continue }
            try await connection.run("""
                UPDATE jobs SET status = 'not_run', stopped_at = now()
                WHERE (id = \(jobId) OR parent_id = \(jobId)) AND status = 'blocked'
                """, logger)
        }
        let status = graph.status
        if status != current {
            try await connection.run("""
                UPDATE workflows SET status = \(status.rawValue),
                       stopped_at = CASE WHEN \(status.isFinal) THEN now() ELSE NULL END
                WHERE id = \(id)
                """, logger)
        }
        return readyIds
    }

    /// Cancels the unfinished jobs of a (locked) workflow — all of them, or
    /// only `jobs` (parent ids) and their runs — and advances it. A job an
    /// agent holds gets a `JobCancel` on that agent's routing key; its row is
    /// `canceled` at once, so the agent's late report is ignored. Returns how
    /// many rows were canceled.
    @discardableResult
    static func cancel(workflow id: UUID, jobs: [UUID]?, by actor: String, on connection: PostgresConnection,
                       logger: Logger) async throws -> Int {
        let active = "('blocked', 'queued', 'running', 'on_hold', 'not_running')"
        let rows: PostgresRowSequence
        if let jobs {
            rows = try await connection.run("""
                SELECT id, agent_id, attempt, status FROM jobs
                WHERE workflow_id = \(id) AND status IN \(unescaped: active) AND (id = ANY(\(jobs)) OR parent_id = ANY(\(jobs)))
                ORDER BY parent_id NULLS FIRST, id FOR UPDATE
                """, logger)
        } else {
            rows = try await connection.run("""
                SELECT id, agent_id, attempt, status FROM jobs WHERE workflow_id = \(id) AND status IN \(unescaped: active)
                ORDER BY parent_id NULLS FIRST, id FOR UPDATE
                """, logger)
        }
        var ids: [UUID] = []
        var stops: [(UUID, Int, UUID)] = []
        for try await (jobId, agentId, attempt, status) in rows.decode((UUID, UUID?, Int, String).self) {
            ids.append(jobId)
            if let agentId, status == "queued" || status == "running" { stops.append((jobId, attempt, agentId)) }
        }
        guard !ids.isEmpty else { return 0 }
        for (jobId, attempt, agentId) in stops {
            try await Outbox.add(JobCancel(jobId: jobId, attempt: attempt),
                                 routingKey: Topology.RoutingKey.agent(agentId.uuidString.lowercased()),
                                 on: connection, logger: logger)
        }
        try await connection.run("""
            UPDATE jobs SET status = 'canceled', stopped_at = now(), message = COALESCE(message, \("canceled by \(actor)"))
            WHERE id = ANY(\(ids)) AND status IN \(unescaped: active)
            """, logger)
        try await connection.run("UPDATE workflows SET canceled_by = \(actor) WHERE id = \(id)", logger)
        try await advance(workflow: id, on: connection, logger: logger)
        logger.info("jobs canceled", metadata: ["workflow_id": "\(id)", "jobs": "\(ids.count)", "stopped": "\(stops.count)"])
        return ids.count
    }
}
