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
    /// Seals setup pipelines' continuation keys (nil: no key-encryption key; setup pipelines then error).
    public let secrets: SecretKeys?

    public init(database: Database, secrets: SecretKeys? = nil) {
        self.database = database
        self.secrets = secrets
    }

    var logger: Logger { database.logger }

    /// Stores the plan of a `pending` pipeline: the workflows and jobs that
    /// run for its branch/tag and trigger (see `PipelinePlan.selected`), jobs
    /// without requirements `queued` (with a `JobReady` per run) or, for
    /// approvals, `on_hold`, the rest `blocked`. When the project auto-cancels
    /// redundant builds, the unfinished workflows of older pipelines on the
    /// same (non-default) branch are canceled in the same transaction.
    /// Returns false if the pipeline was not pending.
    public func storeCompiled(pipeline id: UUID, revision: String, plan: PipelinePlan, source: String? = nil) async throws -> Bool {
        // A setup configuration waits for its continuation; its jobs get the key (from the contexts service, with
        // their other secrets). Stored sealed, found by its hash.
        let key: String? = plan.setup ? Self.newContinuationKey() : nil
        let sealed = try await key.asyncMap { try await secrets.required().seal($0, for: SecretOwner.continuationKey(pipeline: id)) }
        return try await database.transaction { connection in
            guard let facts = try await lockPipeline(id, state: "pending", on: connection) else { return false }
            try await insertWorkflows(of: plan, pipeline: id, facts: facts, firstPosition: 0, on: connection)
            try await connection.run("""
                UPDATE pipelines SET state = \(plan.setup ? "setup" : "created"), revision = \(revision),
                       continuation_key = \(sealed), continuation_key_hash = \(key.map(IdentityStore.hash)),
                       config_source = \(source), updated_at = now() WHERE id = \(id)
                """, logger)
            if let branch = facts.branch, facts.tag == nil, !Self.defaultBranches.contains(branch),
               facts.triggerSource != .scheduledPipeline {
                try await autoCancel(project: facts.slug, branch: branch, before: facts.number, on: connection)
            }
            return true
        }
    }

    /// Stores the workflows of a continued setup pipeline (after its setup
    /// workflows) and makes it `created`; false if it was not waiting for this.
    public func storeContinued(pipeline id: UUID, plan: PipelinePlan) async throws -> Bool {
        try await database.transaction { connection in
            guard let facts = try await lockPipeline(id, state: "setup", on: connection) else { return false }
            var next = 0
            for try await position in try await connection.run(
                "SELECT coalesce(max(position) + 1, 0)::int FROM workflows WHERE pipeline_id = \(id)", logger).decode(Int.self) {
                next = position
            }
            try await insertWorkflows(of: plan, pipeline: id, facts: facts, firstPosition: next, on: connection)
            try await connection.run("UPDATE pipelines SET state = 'created', updated_at = now() WHERE id = \(id)", logger)
            return true
        }
    }

    /// Marks a continued setup pipeline `errored`: its continuation configuration cannot run.
    public func storeContinuationErrored(pipeline id: UUID, errors: [PipelineError]) async throws {
        try await database.query("""
            UPDATE pipelines SET state = 'errored', errors = \(JSON.encode(errors))::jsonb, updated_at = now()
            WHERE id = \(id) AND state = 'setup'
            """)
    }

    /// A setup pipeline that has been continued and whose continuation is not yet stored.
    public func pendingContinuation(_ id: UUID) async throws -> (pipeline: PipelineRecord, configuration: String,
                                                                   parameters: [String: ParameterValue])? {
        let rows = try await database.query("""
            SELECT \(unescaped: PipelineStore.pipelineColumns), continuation_config, continuation_parameters::text
            FROM pipelines WHERE id = \(id) AND state = 'setup' AND continued_at IS NOT NULL
            """)
        for try await row in rows {
            let pipeline = try PipelineStore.decodePipeline(row)
            let columns = row.makeRandomAccess()
            let count = columns.count
            let configuration = try columns[count - 2].decode(String?.self) ?? ""
            let parameters = try columns[count - 1].decode(String?.self).map {
                try JSON.decode([String: ParameterValue].self, $0)
            } ?? [:]
            return (pipeline, configuration, parameters)
        }
        return nil
    }

    struct PipelineFacts {
        var slug: String
        var number: Int
        var branch: String?
        var tag: String?
        var triggerSource: TriggerSource
        var scheduled: String?
    }

    private func lockPipeline(_ id: UUID, state: String, on connection: PostgresConnection) async throws -> PipelineFacts? {
        let rows = try await connection.run("""
            SELECT project_slug, number, branch, tag, trigger_type, trigger_source, scheduled_workflow
            FROM pipelines WHERE id = \(id) AND state = \(state) FOR UPDATE
            """, logger)
        for try await (slug, number, branch, tag, triggerType, source, scheduled) in
            rows.decode((String, Int, String?, String?, String, String, String?).self) {
            let triggerSource: TriggerSource = scheduled != nil ? .scheduledPipeline
                : (TriggerSource(rawValue: triggerType).flatMap { $0 == .api ? nil : $0 } ?? TriggerSource(rawValue: source) ?? .api)
            return PipelineFacts(slug: slug, number: number, branch: branch, tag: tag, triggerSource: triggerSource,
                                 scheduled: scheduled)
        }
        return nil
    }

    private func insertWorkflows(of plan: PipelinePlan, pipeline id: UUID, facts: PipelineFacts, firstPosition: Int,
                                 on connection: PostgresConnection) async throws {
        let selected = plan.selected(branch: facts.branch, tag: facts.tag, triggerSource: facts.triggerSource,
                                     scheduledWorkflow: facts.scheduled)
        for (offset, workflow) in selected.workflows.enumerated() {
            let jobs = workflow.jobs.map {
                WorkflowWrites.NewJob(name: $0.name, requires: $0.requires, type: $0.type,
                                      plan: $0.job ?? WorkflowWrites.approvalPlan, contexts: $0.contexts, origin: nil,
                                      requiredStatuses: $0.requiredStatuses, serialGroup: $0.serialGroup)
            }
            try await WorkflowWrites.insertWorkflow(
                id: UUID(), pipeline: id, project: facts.slug, name: workflow.name, position: firstPosition + offset,
                jobs: jobs, rerunOf: nil, on: connection, logger: logger)
        }
    }

    /// 32 random bytes (the system's CSPRNG), hex: the key a setup workflow continues its pipeline with.
    static func newContinuationKey() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", generator.next() as UInt64) }.joined()
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
    public func storeErrored(pipeline id: UUID, revision: String?, errors: [PipelineError], source: String? = nil) async throws {
        try await database.query("""
            UPDATE pipelines SET state = 'errored', revision = COALESCE(\(revision), revision),
                   config_source = COALESCE(\(source), config_source),
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

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
