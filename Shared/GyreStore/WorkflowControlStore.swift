import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// `projects.settings` as stored: the API's own shape (`{"advanced": {...}}`).
struct StoredSettings: Codable {
    var advanced: ProjectSettings?
}

/// What people do to workflows through the API: approve, cancel, rerun, and
/// the project settings that steer them. Each call is one transaction with
/// the messages it causes.
public struct WorkflowControlStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    public enum Outcome: Sendable, Equatable {
        case done
        /// No such workflow, job or approval.
        case notFound(String)
        /// The request does not fit the current state.
        case conflict(String)
    }

    /// Approves the `on_hold` approval job `job` of workflow `id`: it becomes
    /// `success` and the workflow moves on. Audited as `workflow.job.approve`
    /// (by `cause`) and the approval job's `workflow.job.finish`.
    public func approve(workflow id: UUID, job: UUID, by actor: String = "api",
                        cause: AuditCause = .system) async throws -> Outcome {
        try await database.transaction { connection in
            guard try await WorkflowWrites.lockWorkflow(id, on: connection, logger: logger) != nil else {
                return .notFound("workflow \(id)")
            }
            let rows = try await connection.run("""
                SELECT type, status, attempt FROM jobs WHERE id = \(job) AND workflow_id = \(id) AND parent_id IS NULL FOR UPDATE
                """, logger)
            var found: (String, String, Int)?
            for try await row in rows.decode((String, String, Int).self) { found = row }
            guard let (type, status, attempt) = found, type == WorkflowJobType.approval.rawValue else {
                return .notFound("approval request \(job) in workflow \(id)")
            }
            var lifecycle = JobLifecycle(status: JobStatus(rawValue: status) ?? .failed, attempt: attempt, agent: nil)
            guard lifecycle.apply(.approved).isApplied else {
                return .conflict("the approval job is \(status), not on_hold; only a job on hold can be approved")
            }
            try await LifecycleRows.save(job, lifecycle, on: connection, logger: logger)
            try await connection.run("UPDATE jobs SET approved_by = \(actor), approved_at = now() WHERE id = \(job)", logger)
            if let facts = try await JobAudit.facts([job], on: connection, logger: logger)[job] {
                try await AuditEvents.record([
                    JobAudit.event(JobAudit.approve, job: job, status: lifecycle.status, facts: facts, cause: cause),
                    JobAudit.event(JobAudit.finish, job: job, status: lifecycle.status, facts: facts),
                ], on: connection, logger: logger)
            }
            try await WorkflowWrites.advance(workflow: id, on: connection, logger: logger)
            return .done
        }
    }

    /// Cancels every unfinished job of a workflow.
    public func cancel(workflow id: UUID, by actor: String = "api") async throws -> Outcome {
        try await database.transaction { connection in
            guard try await WorkflowWrites.lockWorkflow(id, on: connection, logger: logger) != nil else {
                return .notFound("workflow \(id)")
            }
            try await WorkflowWrites.cancel(workflow: id, jobs: nil, by: actor, on: connection, logger: logger)
            return .done
        }
    }

    /// Cancels one job (and its parallel runs); the jobs that require it will not run.
    public func cancel(project slug: ProjectSlug, job number: Int, by actor: String = "api") async throws -> Outcome {
        let rows = try await database.query("""
            SELECT id, workflow_id, status FROM jobs
            WHERE project_slug = \(slug.description) AND number = \(number) AND parent_id IS NULL
            """)
        var found: (UUID, UUID, String)?
        for try await row in rows.decode((UUID, UUID, String).self) { found = row }
        guard let (jobId, workflowId, status) = found else { return .notFound("job \(number) of project \(slug)") }
        if let status = JobStatus(rawValue: status), status.isFinal {
            return .conflict("job \(number) is already \(status.rawValue)")
        }
        return try await database.transaction { connection in
            guard try await WorkflowWrites.lockWorkflow(workflowId, on: connection, logger: logger) != nil else {
                return .notFound("job \(number) of project \(slug)")
            }
            let canceled = try await WorkflowWrites.cancel(workflow: workflowId, jobs: [jobId], by: actor, on: connection,
                                                           logger: logger)
            return canceled > 0 ? .done : .conflict("job \(number) has already finished")
        }
    }

    public enum RerunOutcome: Sendable, Equatable {
        case created(UUID)
        case notFound(String)
        case conflict(String)
    }

    /// Reruns a finished workflow as a new workflow of the same pipeline with
    /// the same name. From the start: every job fresh. `fromFailed`: jobs that
    /// succeeded are copied as `success` (with `origin_job_id`, so their
    /// workspace layers are reused), the rest fresh. `jobs` (ids in the old
    /// workflow): those jobs and everything downstream of them fresh, the
    /// successful rest copied.
    public func rerun(workflow id: UUID, fromFailed: Bool, jobs selected: [UUID]) async throws -> RerunOutcome {
        try await database.transaction { connection in
            guard let status = try await WorkflowWrites.lockWorkflow(id, on: connection, logger: logger) else {
                return .notFound("workflow \(id)")
            }
            guard status.isFinal else {
                return .conflict("workflow \(id) is \(status.rawValue); only a finished workflow can be rerun (cancel it first)")
            }
            let rows = try await connection.run("""
                SELECT w.pipeline_id, w.name, w.position, p.project_slug, j.id, j.name, j.requires::text, j.status, j.type,
                       j.plan::text, j.contexts::text, j.origin_job_id, j.serial_group
                FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id JOIN jobs j ON j.workflow_id = w.id
                WHERE w.id = \(id) AND j.parent_id IS NULL ORDER BY j.position
                """, logger)
            struct Old {
                var id: UUID
                var job: WorkflowWrites.NewJob
                var status: JobStatus
            }
            var header: (UUID, String, Int, String)?
            var old: [Old] = []
            for try await (pipelineId, workflowName, position, slug, jobId, name, requires, status, type, plan, contexts,
                           origin, group) in rows.decode((UUID, String, Int, String, UUID, String, String, String, String, String,
                                                          String, UUID?, String?).self) {
                header = (pipelineId, workflowName, position, slug)
                let job = WorkflowWrites.NewJob(
                    name: name, requires: try JSON.decode([String].self, requires),
                    type: WorkflowJobType(rawValue: type) ?? .build, plan: try JSON.decode(JobPlan.self, plan),
                    contexts: (try? JSON.decode([String].self, contexts)) ?? [], origin: origin ?? jobId,
                    requiredStatuses: WorkflowWrites.StoredStatuses.read(plan), serialGroup: group)
                old.append(Old(id: jobId, job: job, status: JobStatus(rawValue: status) ?? .failed))
            }
            guard let (pipelineId, workflowName, position, slug) = header else {
                return .conflict("workflow \(id) has no jobs to rerun")
            }
            let graph = WorkflowGraph(nodes: old.map { .init(name: $0.job.name, requires: $0.job.requires, status: $0.status) })
            var fresh: Set<String>
            if !selected.isEmpty {
                let names = Set(old.filter { selected.contains($0.id) }.map(\.job.name))
                guard names.count == Set(selected).count else {
                    return .notFound("a job to rerun is not in workflow \(id)")
                }
                fresh = names.union(graph.dependents(of: names))
                // A job that did not succeed cannot stand in for its run: run it too.
                fresh.formUnion(old.filter { $0.status != .success }.map(\.job.name))
            } else if fromFailed {
                fresh = Set(old.filter { $0.status != .success }.map(\.job.name))
                guard !fresh.isEmpty else { return .conflict("workflow \(id) has no failed jobs to rerun") }
            } else {
                fresh = Set(old.map(\.job.name))
            }
            let jobs = old.map { entry -> WorkflowWrites.NewJob in
                var job = entry.job
                if fresh.contains(job.name) {
                    job.origin = nil
                    // Rerun from failed: `circleci tests run` reruns only the tests that failed.
                    if fromFailed && selected.isEmpty && entry.status == .failed { job.previousRun = entry.id }
                }
                return job
            }
            let newId = UUID()
            try await WorkflowWrites.insertWorkflow(id: newId, pipeline: pipelineId, project: slug, name: workflowName,
                                                    position: position, jobs: jobs, rerunOf: id, on: connection,
                                                    logger: logger)
            logger.info("workflow rerun", metadata: ["workflow_id": "\(id)", "rerun_id": "\(newId)",
                                                     "fresh_jobs": "\(fresh.count)", "copied_jobs": "\(jobs.count - fresh.count)"])
            return .created(newId)
        }
    }

    /// The project's settings, or nil for an unknown project.
    public func settings(project slug: ProjectSlug) async throws -> ProjectSettings? {
        let rows = try await database.query("SELECT settings::text FROM projects WHERE slug = \(slug.description)")
        for try await text in rows.decode(String.self) {
            return (try? JSON.decode(StoredSettings.self, text))?.advanced ?? ProjectSettings()
        }
        return nil
    }

    /// Stores the project's settings (and the `change`'s audit event, in the
    /// same transaction); returns nil for an unknown project.
    public func setSettings(project slug: ProjectSlug, _ settings: ProjectSettings,
                            change: ProjectSettingsChange? = nil) async throws -> ProjectSettings? {
        let text = JSON.encode(StoredSettings(advanced: settings))
        return try await database.transaction { connection in
            let rows = try await connection.run("""
                UPDATE projects SET settings = \(text)::jsonb WHERE slug = \(slug.description) RETURNING settings::text
                """, logger)
            var stored: ProjectSettings?
            for try await text in rows.decode(String.self) {
                stored = (try? JSON.decode(StoredSettings.self, text))?.advanced ?? ProjectSettings()
            }
            if stored != nil { try await change?.record(project: slug.description, on: connection, logger: logger) }
            return stored
        }
    }

    /// The parallel runs of a job (rows with `parent_id` = the job), by node index.
    public func runs(job id: UUID) async throws -> [JobRunRecord] {
        let rows = try await database.query("""
            SELECT id, node_index, status, attempt, started_at, stopped_at FROM jobs
            WHERE parent_id = \(id) ORDER BY node_index
            """)
        var result: [JobRunRecord] = []
        for try await (runId, node, status, attempt, started, stopped) in
            rows.decode((UUID, Int, String, Int, Date?, Date?).self) {
            result.append(JobRunRecord(id: runId, nodeIndex: node, status: JobStatus(rawValue: status) ?? .failed,
                                       attempt: attempt, startedAt: started, stoppedAt: stopped))
        }
        return result
    }
}
