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
        /// `serial-group:`: runs only when no other job of the group is queued or running.
        var serialGroup: String? = nil
        /// A job rerun from failed: the run before it (its failed tests are rerun by `circleci tests run`).
        var previousRun: UUID? = nil

        var parallelism: Int { type.isMarker ? 1 : max(1, plan.parallelism) }
        var capability: String { type.isMarker ? type.rawValue : plan.requiredCapability }
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
        // The same statement reads the pipeline's audit facts (for `workflow.job.scheduled`).
        let numbers = try await connection.run("""
            UPDATE projects SET next_job_number = next_job_number + \(jobs.count) WHERE slug = \(slug)
            RETURNING next_job_number - \(jobs.count), (\(unescaped: JobAudit.pipelineFacts) WHERE p.id = \(pipeline))::text
            """, logger)
        var first: Int?
        var facts: JobAudit.Pipeline?
        for try await (value, text) in numbers.decode((Int, String?).self) {
            first = value
            facts = JobAudit.Pipeline.decode(text)
        }
        guard var number = first else {
            throw StoreError(.corrupt, "project \(slug) of a pipeline is missing")
        }
        var graph = WorkflowGraph(nodes: jobs.map {
            .init(name: $0.name, requires: $0.requires, status: $0.origin == nil ? .blocked : .success,
                  approval: $0.type == .approval, noOp: $0.type == .noOp, requiredStatuses: $0.requiredStatuses)
        })
        _ = graph.advance()
        let status = graph.status
        try await connection.run("""
            INSERT INTO workflows (id, pipeline_id, name, position, status, rerun_of, stopped_at)
            VALUES (\(workflowId), \(pipeline), \(name), \(position), \(status.rawValue), \(rerunOf),
                    \(status.isFinal ? Date() : nil))
            """, logger)
        var ready: [Outbox.Message] = []
        var audit: [AuditEvent] = []
        var groups: Set<String> = []
        for (index, job) in jobs.enumerated() {
            var jobStatus = graph.nodes[index].status
            // A ready job of a serial group waits for its group (`SerialGroups.release` decides).
            let waitsForGroup = jobStatus == .queued && job.serialGroup != nil
            if waitsForGroup, let group = job.serialGroup {
                jobStatus = .blocked
                groups.insert(group)
            }
            let serialWaiting: Date? = waitsForGroup ? Date() : nil
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
                                  capability, plan, queued_at, stopped_at, type, contexts, parallelism, origin_job_id,
                                  serial_group, serial_waiting_since, previous_run_id)
                VALUES (\(jobId), \(workflowId), \(pipeline), \(slug), \(number), \(job.name), \(index), \(requires)::jsonb,
                        \(jobStatus.rawValue), \(job.capability), \(plan)::jsonb || \(statuses)::jsonb, \(queuedAt), \(stoppedAt),
                        \(job.type.rawValue), \(contexts)::jsonb, \(job.parallelism), \(job.origin), \(job.serialGroup),
                        \(serialWaiting), \(job.previousRun))
                """, logger)
            if job.parallelism > 1 && job.origin == nil {
                for node in 0..<job.parallelism {
                    let runId = UUID()
                    try await connection.run("""
                        INSERT INTO jobs (id, workflow_id, pipeline_id, project_slug, number, name, position, requires,
                                          status, capability, plan, queued_at, type, contexts, parallelism, parent_id,
                                          node_index, serial_group, previous_run_id)
                        VALUES (\(runId), \(workflowId), \(pipeline), \(slug), \(number), \(job.name), \(index),
                                \(requires)::jsonb, \(jobStatus.rawValue), \(job.capability),
                                \(plan)::jsonb || \(statuses)::jsonb, \(queuedAt),
                                \(job.type.rawValue), \(contexts)::jsonb, \(job.parallelism), \(jobId), \(node),
                                \(job.serialGroup), \(job.previousRun))
                        """, logger)
                    if jobStatus == .queued {
                        ready.append(Outbox.Message(JobReady(jobId: runId), routingKey: Topology.RoutingKey.jobReady))
                    }
                }
            } else if jobStatus == .queued {
                ready.append(Outbox.Message(JobReady(jobId: jobId), routingKey: Topology.RoutingKey.jobReady))
            }
            if jobStatus == .queued, let facts {
                audit.append(JobAudit.event(JobAudit.scheduled, job: jobId, name: job.name, status: .queued,
                                            contexts: job.contexts, workflow: workflowId, pipeline: facts, at: now))
            }
            number += 1
        }
        if let message = AuditEvents.message(audit) { ready.append(message) }
        try await Outbox.add(ready, on: connection, logger: logger)
        try await SerialGroups.release(groups, on: connection, logger: logger)
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
    /// follows. Every status change is a `JobLifecycle` transition. Returns
    /// the job (run) ids that became queued.
    @discardableResult
    static func advance(workflow id: UUID, on connection: PostgresConnection, logger: Logger) async throws -> [UUID] {
        // The lock reads the pipeline's audit facts too (for the jobs it schedules or finishes).
        let locked = try await connection.run("""
            SELECT status, (\(unescaped: JobAudit.pipelineFacts) WHERE p.id = workflows.pipeline_id)::text
            FROM workflows WHERE id = \(id) FOR UPDATE OF workflows
            """, logger)
        var found: (WorkflowStatus, String?)?
        for try await (status, facts) in locked.decode((String, String?).self) {
            found = (WorkflowStatus(rawValue: status) ?? .error, facts)
        }
        guard let (current, factsText) = found else { return [] }
        struct Entry {
            var id: UUID
            var lifecycle: JobLifecycle
            var runs: [(UUID, JobLifecycle)] = []
            var contexts: [String] = []
        }
        var entries: [String: Entry] = [:]
        var parents: [UUID: String] = [:]
        var nodes: [WorkflowGraph.Node] = []
        var serial: [String: String] = [:]
        let rows = try await connection.run("""
            SELECT id, name, requires::text, status, type, attempt, agent_id, parent_id,
                   jsonb_build_object('requiredStatuses', plan->'requiredStatuses')::text, serial_group,
                   CASE WHEN parent_id IS NULL THEN contexts::text END
            FROM jobs WHERE workflow_id = \(id) ORDER BY parent_id NULLS FIRST, position, node_index
            """, logger)
        for try await (jobId, name, requires, statusText, type, attempt, agent, parent, statuses, group, contexts) in
            rows.decode((UUID, String, String, String, String, Int, UUID?, UUID?, String, String?, String?).self) {
            let status = JobStatus(rawValue: statusText) ?? .infrastructureFail
            let lifecycle = JobLifecycle(status: status, attempt: attempt, agent: agent)
            if let parent {
                if let name = parents[parent] { entries[name]?.runs.append((jobId, lifecycle)) }
                continue
            }
            parents[jobId] = name
            entries[name] = Entry(id: jobId, lifecycle: lifecycle,
                                  contexts: contexts.flatMap { try? JSON.decode([String].self, $0) } ?? [])
            if let group { serial[name] = group }
            nodes.append(.init(name: name, requires: try JSON.decode([String].self, requires), status: status,
                               approval: type == WorkflowJobType.approval.rawValue,
                               noOp: type == WorkflowJobType.noOp.rawValue, requiredStatuses: StoredStatuses.read(statuses)))
        }
        var graph = WorkflowGraph(nodes: nodes)
        let change = graph.advance()
        var readyIds: [UUID] = []
        /// Applies `event` to the job and its runs; returns the ids whose state changed.
        func move(_ name: String, _ event: JobLifecycle.Event) async throws -> [UUID] {
            guard var entry = entries[name] else { return [] }
            var changed: [UUID] = []
            let now = Date()
            if entry.lifecycle.apply(event).isApplied {
                try await LifecycleRows.save(entry.id, entry.lifecycle, at: now, on: connection, logger: logger)
                changed.append(entry.id)
            }
            for index in entry.runs.indices where entry.runs[index].1.apply(event).isApplied {
                try await LifecycleRows.save(entry.runs[index].0, entry.runs[index].1, at: now, on: connection, logger: logger)
                changed.append(entry.runs[index].0)
            }
            entries[name] = entry
            return changed
        }
        var groups: Set<String> = []
        var audit: [AuditEvent] = []
        var facts: JobAudit.Pipeline?
        /// A `workflow.job.*` event for the job `name` in its current state (facts decoded on first use).
        func record(_ action: String, _ name: String) {
            if facts == nil { facts = JobAudit.Pipeline.decode(factsText) }
            guard let facts, let entry = entries[name] else { return }
            audit.append(JobAudit.event(action, job: entry.id, name: name, status: entry.lifecycle.status,
                                        contexts: entry.contexts, workflow: id, pipeline: facts))
        }
        for name in change.ready {
            if let group = serial[name], let entry = entries[name] {
                // Its group decides when it runs (in pipeline order, one at a time).
                try await connection.run("""
                    UPDATE jobs SET serial_waiting_since = COALESCE(serial_waiting_since, now())
                    WHERE (id = \(entry.id) OR parent_id = \(entry.id)) AND status = 'blocked'
                    """, logger)
                groups.insert(group)
                continue
            }
            let changed = try await move(name, .ready)
            // The scheduler places runs, not the row of a parallel job.
            readyIds += (entries[name]?.runs.isEmpty ?? true) ? changed : changed.filter { $0 != entries[name]?.id }
            if !changed.isEmpty { record(JobAudit.scheduled, name) }
        }
        // A job of a group that ended (or was canceled, or skipped) frees the group.
        for node in graph.nodes where node.status.isFinal { if let group = serial[node.name] { groups.insert(group) } }
        for name in change.held { _ = try await move(name, .hold) }
        for name in change.passed {
            if try await !move(name, .passed).isEmpty { record(JobAudit.finish, name) }
        }
        for name in change.skipped {
            if try await !move(name, .skipped).isEmpty { record(JobAudit.finish, name) }
        }
        var messages = readyIds.map { Outbox.Message(JobReady(jobId: $0), routingKey: Topology.RoutingKey.jobReady) }
        if let message = AuditEvents.message(audit) { messages.append(message) }
        try await Outbox.add(messages, on: connection, logger: logger)
        readyIds += try await SerialGroups.release(groups, on: connection, logger: logger)
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
    /// only `jobs` (parent ids) and their runs — and advances it. Each row
    /// takes the lifecycle's `cancel`: a job an agent holds gets a `JobCancel`
    /// on that agent's routing key; its row is `canceled` at once, so the
    /// agent's late report is ignored. Returns how many rows were canceled.
    @discardableResult
    static func cancel(workflow id: UUID, jobs: [UUID]?, by actor: String, on connection: PostgresConnection,
                       logger: Logger) async throws -> Int {
        let active = "('blocked', 'queued', 'running', 'on_hold', 'not_running')"
        let rows: PostgresRowSequence
        if let jobs {
            rows = try await connection.run("""
                SELECT id, workflow_id, parent_id, status, attempt, agent_id FROM jobs
                WHERE workflow_id = \(id) AND status IN \(unescaped: active) AND (id = ANY(\(jobs)) OR parent_id = ANY(\(jobs)))
                ORDER BY parent_id NULLS FIRST, id FOR UPDATE
                """, logger)
        } else {
            rows = try await connection.run("""
                SELECT id, workflow_id, parent_id, status, attempt, agent_id FROM jobs
                WHERE workflow_id = \(id) AND status IN \(unescaped: active)
                ORDER BY parent_id NULLS FIRST, id FOR UPDATE
                """, logger)
        }
        let locked = try await LifecycleRows.decode(rows)
        var canceled = 0
        var stops = 0
        var ended: [UUID: JobStatus] = [:]
        for var row in locked.values.sorted(by: { $0.id.uuidString < $1.id.uuidString }) {
            let transition = row.lifecycle.apply(.cancel)
            guard transition.isApplied else { continue }
            try await LifecycleRows.save(row.id, row.lifecycle, message: "canceled by \(actor)", on: connection, logger: logger)
            try await LifecycleRows.perform(transition.actions, job: row.id, on: connection, logger: logger)
            canceled += 1
            stops += transition.actions.count
            // The API's jobs (not the runs of a parallel one) end here: audited.
            if row.parentId == nil { ended[row.id] = row.lifecycle.status }
        }
        guard canceled > 0 else { return 0 }
        try await AuditEvents.record(try await JobAudit.finished(ended, on: connection, logger: logger),
                                     on: connection, logger: logger)
        try await connection.run("UPDATE workflows SET canceled_by = \(actor) WHERE id = \(id)", logger)
        try await advance(workflow: id, on: connection, logger: logger)
        logger.info("jobs canceled", metadata: ["workflow_id": "\(id)", "jobs": "\(canceled)", "stopped": "\(stops)"])
        return canceled
    }
}
