import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// Projects, pipeline creation, and the read side the API serves.
public struct PipelineStore: Sendable {
    public let database: Database
    public let topology: Topology

    public init(database: Database, topology: Topology) {
        self.database = database
        self.topology = topology
    }

    var logger: Logger { database.logger }

    /// Registers a project, or changes its git URL. Idempotent.
    /// Follows a project (and creates its organisation, `vcs/org`, the first time).
    /// `change`: the audit event of an explicitly set git URL (same transaction).
    public func follow(slug: ProjectSlug, vcsURL: String, change: ProjectSettingsChange? = nil) async throws -> ProjectRecord {
        let organization = "\(slug.vcs)/\(slug.org)"
        return try await database.transaction { connection in
            let rows = try await connection.run("""
                WITH org AS (
                    INSERT INTO organizations (id, slug, name, vcs_type) VALUES (\(UUID()), \(organization), \(slug.org), \(slug.vcs))
                    ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id
                )
                INSERT INTO projects (slug, vcs_url, id, organization_id)
                VALUES (\(slug.description), \(vcsURL), \(UUID()), (SELECT id FROM org))
                ON CONFLICT (slug) DO UPDATE SET vcs_url = EXCLUDED.vcs_url,
                    organization_id = COALESCE(projects.organization_id, EXCLUDED.organization_id),
                    id = COALESCE(projects.id, EXCLUDED.id)
                RETURNING slug, vcs_url, created_at, id, organization_id
                """, logger)
            var project: ProjectRecord?
            for try await (slug, url, created, id, org) in rows.decode((String, String, Date, UUID?, UUID?).self) {
                project = ProjectRecord(slug: slug, vcsURL: url, createdAt: created, id: id, organizationId: org)
            }
            guard let project else { throw StoreError(.unavailable, "project was not stored") }
            try await change?.record(project: project.slug, on: connection, logger: logger)
            return project
        }
    }

    public func project(_ slug: ProjectSlug) async throws -> ProjectRecord? {
        let rows = try await database.query("""
            SELECT slug, vcs_url, created_at, id, organization_id FROM projects WHERE slug = \(slug.description)
            """)
        for try await (slug, url, created, id, org) in rows.decode((String, String, Date, UUID?, UUID?).self) {
            return ProjectRecord(slug: slug, vcsURL: url, createdAt: created, id: id, organizationId: org)
        }
        return nil
    }

    /// Creates a pipeline in state `pending` and, in the same transaction, the
    /// message that asks the dispatcher to compile it.
    public func createPipeline(project: ProjectSlug, branch: String?, tag: String?, parameters: [String: String],
                               triggerType: String, actor: String) async throws -> PipelineRecord? {
        try await createPipeline(project: project, branch: branch, tag: tag,
                                 typedParameters: parameters.mapValues { .string($0) },
                                 triggerType: triggerType, actor: actor)
    }

    /// Creates a pipeline in state `pending` with typed parameters and, in the
    /// same transaction, the message that asks the dispatcher to compile it.
    /// `triggerSource` defaults to the one `triggerType` names (`api`, `webhook`, `scheduled_pipeline`).
    public func createPipeline(project: ProjectSlug, branch: String?, tag: String?,
                               typedParameters: [String: ParameterValue], triggerType: String, actor: String,
                               triggerSource: TriggerSource? = nil,
                               scheduledWorkflow: String? = nil, actorId: UUID? = nil) async throws -> PipelineRecord? {
        let id = UUID()
        let params = JSON.encode(typedParameters)
        let source = (triggerSource ?? TriggerSource(rawValue: triggerType) ?? .api).rawValue
        let created: Bool = try await database.transaction { connection in
            let numbers = try await connection.run("""
                UPDATE projects SET next_pipeline_number = next_pipeline_number + 1
                WHERE slug = \(project.description)
                RETURNING next_pipeline_number - 1, vcs_url
                """, logger)
            var found: (Int, String)?
            for try await row in numbers.decode((Int, String).self) { found = row }
            guard let (number, vcsURL) = found else { return false }
            try await connection.run("""
                INSERT INTO pipelines (id, project_slug, number, state, branch, tag, vcs_url, trigger_type, trigger_parameters,
                                       actor, trigger_source, scheduled_workflow, actor_id)
                VALUES (\(id), \(project.description), \(number), 'pending', \(branch), \(tag), \(vcsURL), \(triggerType),
                        \(params)::jsonb, \(actor), \(source), \(scheduledWorkflow), \(actorId))
                """, logger)
            try await Outbox.add(PipelineCreated(pipelineId: id), routingKey: Topology.RoutingKey.pipelineCreated,
                                 on: connection, logger: logger)
            return true
        }
        return created ? try await pipeline(id) : nil
    }

    static let pipelineColumns = """
        id, project_slug, number, state, branch, tag, revision, vcs_url, trigger_type,
        trigger_parameters::text, errors::text, actor, created_at, updated_at, trigger_source, scheduled_workflow, actor_id
        """

    public func pipeline(_ id: UUID) async throws -> PipelineRecord? {
        let rows = try await database.query("SELECT \(unescaped: Self.pipelineColumns) FROM pipelines WHERE id = \(id)")
        for try await row in rows {
            return try Self.decodePipeline(row)
        }
        return nil
    }

    static func decodePipeline(_ row: PostgresRow) throws -> PipelineRecord {
        let (id, slug, number, state, branch, tag, revision, vcsURL, triggerType, params, errors, actor, created, updated,
             source, scheduled, actorId) =
            try row.decode((UUID, String, Int, String, String?, String?, String?, String, String, String, String, String, Date,
                            Date, String, String?, UUID?).self)
        let typed = (try? JSON.decode([String: ParameterValue].self, params)) ?? [:]
        // Other writers may set only trigger_type (`webhook`, `scheduled_pipeline`) or only scheduled_workflow.
        let triggerSource: TriggerSource = scheduled != nil ? .scheduledPipeline
            : (TriggerSource(rawValue: triggerType).flatMap { $0 == .api ? nil : $0 } ?? TriggerSource(rawValue: source) ?? .api)
        return PipelineRecord(
            id: id, projectSlug: slug, number: number, state: PipelineState(rawValue: state) ?? .errored,
            branch: branch, tag: tag, revision: revision, vcsURL: vcsURL, triggerType: triggerType,
            triggerParameters: typed.mapValues(\.description),
            errors: try JSON.decode([PipelineError].self, errors), actor: actor, createdAt: created, updatedAt: updated,
            actorId: actorId, parameters: typed, triggerSource: triggerSource, scheduledWorkflow: scheduled)
    }

    static let workflowColumns = """
        w.id, w.pipeline_id, p.number, p.project_slug, w.name, w.status, w.created_at, w.stopped_at, w.rerun_of,
        w.canceled_by, p.actor_id
        """

    public func workflows(pipeline id: UUID) async throws -> [WorkflowRecord] {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.workflowColumns) FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id
            WHERE w.pipeline_id = \(id) ORDER BY w.position, w.created_at
            """)
        var result: [WorkflowRecord] = []
        for try await row in rows { result.append(try Self.decodeWorkflow(row)) }
        return result
    }

    /// The workflows of several pipelines in one query (a page of pipelines), each pipeline's in its order.
    public func workflows(pipelines ids: [UUID]) async throws -> [UUID: [WorkflowRecord]] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await database.query("""
            SELECT \(unescaped: Self.workflowColumns) FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id
            WHERE w.pipeline_id = ANY(\(ids)) ORDER BY w.pipeline_id, w.position, w.created_at
            """)
        var result: [UUID: [WorkflowRecord]] = [:]
        for try await row in rows {
            let workflow = try Self.decodeWorkflow(row)
            result[workflow.pipelineId, default: []].append(workflow)
        }
        return result
    }

    public func workflow(_ id: UUID) async throws -> WorkflowRecord? {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.workflowColumns) FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id
            WHERE w.id = \(id)
            """)
        for try await row in rows { return try Self.decodeWorkflow(row) }
        return nil
    }

    static func decodeWorkflow(_ row: PostgresRow) throws -> WorkflowRecord {
        let (id, pipelineId, number, slug, name, status, created, stopped, rerunOf, canceledBy, startedBy) =
            try row.decode((UUID, UUID, Int, String, String, String, Date, Date?, UUID?, String?, UUID?).self)
        return WorkflowRecord(id: id, pipelineId: pipelineId, pipelineNumber: number, projectSlug: slug, name: name,
                              status: WorkflowStatus(rawValue: status) ?? .error, createdAt: created, stoppedAt: stopped,
                              rerunOf: rerunOf, canceledBy: canceledBy, startedBy: startedBy)
    }

    static let jobColumns = """
        j.id, j.workflow_id, w.name, j.pipeline_id, j.project_slug, j.number, j.name, j.requires::text, j.status,
        j.attempt, j.agent_id, j.message, j.plan::text, j.created_at, j.queued_at, j.started_at, j.stopped_at,
        j.type, j.contexts::text, j.parallelism, j.parent_id, j.node_index, j.origin_job_id
        """

    public func jobs(workflow id: UUID) async throws -> [JobRecord] {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.jobColumns) FROM jobs j JOIN workflows w ON w.id = j.workflow_id
            WHERE j.workflow_id = \(id) AND j.parent_id IS NULL ORDER BY j.position
            """)
        var result: [JobRecord] = []
        for try await row in rows { result.append(try Self.decodeJob(row)) }
        return result
    }

    public func job(project: ProjectSlug, number: Int) async throws -> JobRecord? {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.jobColumns) FROM jobs j JOIN workflows w ON w.id = j.workflow_id
            WHERE j.project_slug = \(project.description) AND j.number = \(number) AND j.parent_id IS NULL
            """)
        for try await row in rows { return try Self.decodeJob(row) }
        return nil
    }

    static func decodeJob(_ row: PostgresRow) throws -> JobRecord {
        let (id, workflowId, workflowName, pipelineId, slug, number, name, requires, status, attempt, agentId, message,
             plan, created, queued, started, stopped, type, contexts, parallelism, parentId, nodeIndex, originJobId) =
            try row.decode((UUID, UUID, String, UUID, String, Int, String, String, String, Int, UUID?, String?,
                            String, Date, Date?, Date?, Date?, String, String, Int, UUID?, Int?, UUID?).self)
        return JobRecord(
            id: id, workflowId: workflowId, workflowName: workflowName, pipelineId: pipelineId, projectSlug: slug,
            number: number, name: name, requires: try JSON.decode([String].self, requires),
            status: JobStatus(rawValue: status) ?? .infrastructureFail, attempt: attempt, agentId: agentId,
            message: message, plan: try JSON.decode(JobPlan.self, plan), createdAt: created, queuedAt: queued,
            startedAt: started, stoppedAt: stopped, type: WorkflowJobType(rawValue: type) ?? .build,
            contexts: (try? JSON.decode([String].self, contexts)) ?? [], parallelism: parallelism, parentId: parentId,
            nodeIndex: nodeIndex, originJobId: originJobId)
    }

    /// The steps of a job's current attempt on every node, sorted by step then
    /// node (`StepRecord.nodeIndex`), with the run each belongs to (a parallel
    /// job's runs are rows with `parent_id` = the job; a job with parallelism
    /// 1 is its own single run).
    public func nodeSteps(job: JobRecord) async throws -> [(run: JobRecord, step: StepRecord)] {
        var runs: [JobRecord] = [job]
        if job.parallelism > 1 {
            let rows = try await database.query("""
                SELECT id, node_index, attempt, status FROM jobs WHERE parent_id = \(job.id) ORDER BY node_index
                """)
            var found: [JobRecord] = []
            for try await (id, node, attempt, status) in rows.decode((UUID, Int, Int, String).self) {
                var run = job
                run.id = id
                run.nodeIndex = node
                run.attempt = attempt
                run.status = JobStatus(rawValue: status) ?? .failed
                run.parentId = job.id
                found.append(run)
            }
            if !found.isEmpty { runs = found }
        }
        var result: [(run: JobRecord, step: StepRecord)] = []
        for run in runs {
            for var step in try await steps(job: run.id, attempt: run.attempt) {
                step.nodeIndex = run.nodeIndex ?? 0
                result.append((run, step))
            }
        }
        return result.sorted { ($0.step.index, $0.step.nodeIndex) < ($1.step.index, $1.step.nodeIndex) }
    }

    /// The steps of a job's current attempt, in order.
    public func steps(job: UUID, attempt: Int) async throws -> [StepRecord] {
        let rows = try await database.query("""
            SELECT idx, name, kind, status, exit_code, bytes, started_at, stopped_at FROM steps
            WHERE job_id = \(job) AND attempt = \(attempt) ORDER BY idx
            """)
        var result: [StepRecord] = []
        for try await (idx, name, kind, status, exitCode, bytes, started, stopped) in
            rows.decode((Int, String, String, String, Int?, Int64, Date?, Date?).self) {
            result.append(StepRecord(index: idx, name: name, kind: kind, status: StepStatus(rawValue: status) ?? .failed,
                                     exitCode: exitCode, bytes: bytes, startedAt: started, stoppedAt: stopped))
        }
        return result
    }
}
