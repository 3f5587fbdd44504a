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

    /// Stores the plan of a `pending` pipeline: its workflows, its jobs (the
    /// ones without requirements `queued`, the rest `blocked`) and a
    /// `JobReady` for each queued job. Returns false if the pipeline was not pending.
    public func storeCompiled(pipeline id: UUID, revision: String, plan: PipelinePlan) async throws -> Bool {
        try await database.transaction { connection in
            let rows = try await connection.run(
                "SELECT project_slug FROM pipelines WHERE id = \(id) AND state = 'pending' FOR UPDATE", logger)
            var slug: String?
            for try await value in rows.decode(String.self) { slug = value }
            guard let slug else { return false }

            let jobCount = plan.workflows.reduce(0) { $0 + $1.jobs.count }
            var firstNumber = 0
            let numbers = try await connection.run("""
                UPDATE projects SET next_job_number = next_job_number + \(jobCount) WHERE slug = \(slug)
                RETURNING next_job_number - \(jobCount)
                """, logger)
            for try await value in numbers.decode(Int.self) { firstNumber = value }

            var number = firstNumber
            for (workflowIndex, workflow) in plan.workflows.enumerated() {
                let workflowId = UUID()
                var graph = WorkflowGraph(nodes: workflow.jobs.map { .init(name: $0.name, requires: $0.requires, status: .blocked) })
                let ready = Set(graph.advance().ready)
                try await connection.run("""
                    INSERT INTO workflows (id, pipeline_id, name, position, status)
                    VALUES (\(workflowId), \(id), \(workflow.name), \(workflowIndex), \(graph.status.rawValue))
                    """, logger)
                for (jobIndex, job) in workflow.jobs.enumerated() {
                    let jobId = UUID()
                    let isReady = ready.contains(job.name)
                    let status = isReady ? JobStatus.queued : .blocked
                    try await connection.run("""
                        INSERT INTO jobs (id, workflow_id, pipeline_id, project_slug, number, name, position, requires,
                                          status, capability, plan, queued_at)
                        VALUES (\(jobId), \(workflowId), \(id), \(slug), \(number), \(job.name), \(jobIndex),
                                \(JSON.encode(job.requires))::jsonb, \(status.rawValue), \(job.job?.executor.requiredCapability ?? "approval"),
                                \(JSON.encode(job.job))::jsonb, \(isReady ? Date() : nil))
                        """, logger)
                    if isReady {
                        try await Outbox.add(JobReady(jobId: jobId), routingKey: Topology.RoutingKey.jobReady,
                                             on: connection, logger: logger)
                    }
                    number += 1
                }
            }
            try await connection.run("""
                UPDATE pipelines SET state = 'created', revision = \(revision), updated_at = now() WHERE id = \(id)
                """, logger)
            return true
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

    /// Applies a finished job to its workflow: unblocks or skips dependents and
    /// updates the workflow's status. Returns the jobs that became ready.
    @discardableResult
    public func advance(workflow id: UUID) async throws -> [UUID] {
        try await database.transaction { connection in
            // The workflow row lock serialises concurrent advances of one workflow.
            let locked = try await connection.run("SELECT status FROM workflows WHERE id = \(id) FOR UPDATE", logger)
            var current: String?
            for try await status in locked.decode(String.self) { current = status }
            guard current != nil else { return [] }

            var ids: [String: UUID] = [:]
            var nodes: [WorkflowGraph.Node] = []
            let rows = try await connection.run(
                "SELECT id, name, requires::text, status FROM jobs WHERE workflow_id = \(id) ORDER BY position", logger)
            for try await (jobId, name, requires, status) in rows.decode((UUID, String, String, String).self) {
                ids[name] = jobId
                nodes.append(.init(name: name, requires: try JSON.decode([String].self, requires),
                                   status: JobStatus(rawValue: status) ?? .infrastructureFail))
            }
            var graph = WorkflowGraph(nodes: nodes)
            let change = graph.advance()
            var readyIds: [UUID] = []
            for name in change.ready {
                guard let jobId = ids[name] else { continue }
                try await connection.run(
                    "UPDATE jobs SET status = 'queued', queued_at = now() WHERE id = \(jobId) AND status = 'blocked'", logger)
                try await Outbox.add(JobReady(jobId: jobId), routingKey: Topology.RoutingKey.jobReady, on: connection, logger: logger)
                readyIds.append(jobId)
            }
            for name in change.skipped {
                guard let jobId = ids[name] else { continue }
                try await connection.run(
                    "UPDATE jobs SET status = 'not_run', stopped_at = now() WHERE id = \(jobId) AND status = 'blocked'", logger)
            }
            let status = graph.status
            if status.rawValue != current {
                try await connection.run("""
                    UPDATE workflows SET status = \(status.rawValue),
                           stopped_at = CASE WHEN \(status.isFinal) THEN now() ELSE NULL END
                    WHERE id = \(id)
                    """, logger)
            }
            return readyIds
        }
    }
}
