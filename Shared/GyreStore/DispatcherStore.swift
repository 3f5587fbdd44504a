import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// The dispatcher's writes: compiled pipelines become workflows and jobs, and
/// finished jobs move their workflow forward. Every method is a state
/// transition guarded by the current state, so a redelivered message is a no-op.
public struct DispatcherStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    /// Stores the plan of a `pending` pipeline: the workflows and jobs that
    /// run for its branch/tag and trigger (see `PipelinePlan.selected`), jobs
    /// without requirements `queued` (with a `JobReady` per run) or, for
    /// approvals, `on_hold`, the rest `blocked`. When the project auto-cancels
    /// redundant builds, the unfinished workflows of older pipelines on the
    /// same (non-default) branch are canceled in the same transaction.
    /// Returns false if the pipeline was not pending.
    public func storeCompiled(pipeline id: UUID, revision: String, plan: PipelinePlan) async throws -> Bool {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                SELECT project_slug, number, branch, tag, trigger_type, trigger_source, scheduled_workflow
                FROM pipelines WHERE id = \(id) AND state = 'pending' FOR UPDATE
                """, logger)
            var found: (String, Int, String?, String?, String, String, String?)?
            for try await row in rows.decode((String, Int, String?, String?, String, String, String?).self) { found = row }
            guard let (slug, number, branch, tag, triggerType, source, scheduled) = found else { return false }
            let triggerSource: TriggerSource = scheduled != nil ? .scheduledPipeline
                : (TriggerSource(rawValue: triggerType).flatMap { $0 == .api ? nil : $0 } ?? TriggerSource(rawValue: source) ?? .api)
            let selected = plan.selected(branch: branch, tag: tag, triggerSource: triggerSource, scheduledWorkflow: scheduled)
            for (position, workflow) in selected.workflows.enumerated() {
                let jobs = workflow.jobs.map {
                    WorkflowWrites.NewJob(name: $0.name, requires: $0.requires, type: $0.type,
                                          plan: $0.job ?? WorkflowWrites.approvalPlan, contexts: $0.contexts, origin: nil,
                                          requiredStatuses: $0.requiredStatuses, serialGroup: $0.serialGroup)
                }
                try await WorkflowWrites.insertWorkflow(
                    id: UUID(), pipeline: id, project: slug, name: workflow.name, position: position, jobs: jobs,
                    rerunOf: nil, on: connection, logger: logger)
            }
            try await connection.run("""
                UPDATE pipelines SET state = 'created', revision = \(revision), updated_at = now() WHERE id = \(id)
                """, logger)
            if let branch, tag == nil, !Self.defaultBranches.contains(branch), triggerSource != .scheduledPipeline {
                try await autoCancel(project: slug, branch: branch, before: number, on: connection)
            }
            return true
        }
    }

    /// CircleCI never auto-cancels on the default branch.
    static let defaultBranches: Set<String> = ["main", "master"]

    func autoCancel(project slug: String, branch: String, before number: Int, on connection: PostgresConnection) async throws {
        let settings = try await connection.run("SELECT settings::text FROM projects WHERE slug = \(slug)", logger)
        var enabled = false
        for try await text in settings.decode(String.self) {
            enabled = ((try? JSON.decode(StoredSettings.self, text))?.advanced?.autocancelBuilds) ?? false
        }
        guard enabled else { return }
        let older = try await connection.run("""
            SELECT w.id FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id
            WHERE p.project_slug = \(slug) AND p.branch = \(branch) AND p.tag IS NULL AND p.number < \(number)
              AND w.status IN ('running', 'on_hold', 'failing')
            ORDER BY w.id
            """, logger)
        var ids: [UUID] = []
        for try await workflowId in older.decode(UUID.self) { ids.append(workflowId) }
        for workflowId in ids {
            guard let status = try await WorkflowWrites.lockWorkflow(workflowId, on: connection, logger: logger),
                  !status.isFinal else { continue }
            try await WorkflowWrites.cancel(workflow: workflowId, jobs: nil, by: "auto-cancel", on: connection, logger: logger)
        }
        if !ids.isEmpty {
            logger.info("auto-canceled redundant workflows", metadata: ["branch": "\(branch)", "workflows": "\(ids.count)"])
        }
    }

    /// Marks a pending pipeline `errored` with the messages a person needs to fix it.
    public func storeErrored(pipeline id: UUID, revision: String?, errors: [PipelineError]) async throws {
        try await database.query("""
            UPDATE pipelines SET state = 'errored', revision = COALESCE(\(revision), revision),
                   errors = \(JSON.encode(errors))::jsonb, updated_at = now()
            WHERE id = \(id) AND state = 'pending'
            """)
    }

    /// The facts the dispatcher needs to compile a pending pipeline, or nil if it is not pending.
    public func pendingPipeline(_ id: UUID) async throws -> PipelineRecord? {
        let rows = try await database.query(
            "SELECT \(unescaped: PipelineStore.pipelineColumns) FROM pipelines WHERE id = \(id) AND state = 'pending'")
        for try await row in rows { return try PipelineStore.decodePipeline(row) }
        return nil
    }

    /// Applies a finished job to its workflow: unblocks, holds or skips
    /// dependents and updates the workflow's status. Returns the jobs (runs)
    /// that became ready.
    @discardableResult
    public func advance(workflow id: UUID) async throws -> [UUID] {
        try await advance(workflows: [id])
    }

    /// Advances several workflows in one transaction, locking them in the
    /// order given (callers sort them, so concurrent batches cannot deadlock).
    @discardableResult
    public func advance(workflows ids: [UUID]) async throws -> [UUID] {
        try await database.transaction { connection in
            var ready: [UUID] = []
            for id in ids { ready += try await WorkflowWrites.advance(workflow: id, on: connection, logger: logger) }
            return ready
        }
    }
}
