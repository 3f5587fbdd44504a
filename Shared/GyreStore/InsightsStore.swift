import Foundation
import GyreModel
import PostgresNIO

/// The rows Insights computes from: workflow runs, job runs and test results
/// of a project over a time range, read from the tables the services already
/// write (no table of its own). The arithmetic is `GyreModel`'s (`RunMetrics`,
/// `FlakyTest`, `TestMetrics`); this only selects.
public struct InsightsStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// One run of a workflow.
    public struct WorkflowRun: Sendable {
        public var id: UUID
        public var name: String
        public var projectSlug: String
        public var status: WorkflowStatus
        public var branch: String?
        public var revision: String?
        public var pipelineNumber: Int
        public var createdAt: Date
        public var stoppedAt: Date?
        /// The workflow holds an approval job.
        public var hasApproval: Bool

        /// A workflow runs from its creation to its stop.
        public var run: InsightsRun {
            InsightsRun(outcome: .init(status), branch: branch, revision: revision, createdAt: createdAt,
                        startedAt: createdAt, stoppedAt: stoppedAt)
        }
    }

    /// One run of a job (a parallel job counts once, as its parent row; jobs copied into a rerun as already
    /// successful and approval jobs are left out: they did not run).
    public struct JobRun: Sendable {
        public var name: String
        public var workflowName: String
        public var status: JobStatus
        public var branch: String?
        public var createdAt: Date
        public var startedAt: Date?
        public var stoppedAt: Date?

        public var run: InsightsRun {
            InsightsRun(outcome: .init(status), branch: branch, createdAt: createdAt, startedAt: startedAt, stoppedAt: stoppedAt)
        }
    }

    /// Workflow runs of the projects whose slug is in `projects`, created in `[from, to)`, newest first;
    /// optionally one workflow's and one branch's.
    public func workflowRuns(projects: [String], from: Date, to: Date, workflow: String? = nil,
                             branch: String? = nil) async throws -> [WorkflowRun] {
        let rows = try await database.query("""
            SELECT w.id, w.name, p.project_slug, w.status, p.branch, p.revision, p.number, w.created_at, w.stopped_at,
                   EXISTS (SELECT 1 FROM jobs j WHERE j.workflow_id = w.id AND j.type = 'approval')
            FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id
            WHERE p.project_slug = ANY(\(projects)) AND w.created_at >= \(from) AND w.created_at < \(to)
              AND (\(workflow)::text IS NULL OR w.name = \(workflow))
              AND (\(branch)::text IS NULL OR p.branch = \(branch))
            ORDER BY w.created_at DESC, w.id
            """)
        var result: [WorkflowRun] = []
        for try await (id, name, slug, status, branch, revision, number, created, stopped, approval)
            in rows.decode((UUID, String, String, String, String?, String?, Int, Date, Date?, Bool).self) {
            guard let status = WorkflowStatus(rawValue: status) else { continue }
            result.append(WorkflowRun(id: id, name: name, projectSlug: slug, status: status, branch: branch, revision: revision,
                                      pipelineNumber: number, createdAt: created, stoppedAt: stopped, hasApproval: approval))
        }
        return result
    }

    /// Job runs of a project's workflow (by name) created in `[from, to)`, optionally of one branch.
    public func jobRuns(project: String, workflow: String, from: Date, to: Date, branch: String? = nil) async throws -> [JobRun] {
        let rows = try await database.query("""
            SELECT j.name, w.name, j.status, p.branch, j.created_at, j.started_at, j.stopped_at
            FROM jobs j JOIN workflows w ON w.id = j.workflow_id JOIN pipelines p ON p.id = w.pipeline_id
            WHERE p.project_slug = \(project) AND w.name = \(workflow) AND j.parent_id IS NULL AND j.origin_job_id IS NULL
              AND j.type <> 'approval' AND j.created_at >= \(from) AND j.created_at < \(to)
              AND (\(branch)::text IS NULL OR p.branch = \(branch))
            ORDER BY j.created_at, j.number
            """)
        var result: [JobRun] = []
        for try await (name, workflowName, status, branch, created, started, stopped)
            in rows.decode((String, String, String, String?, Date, Date?, Date?).self) {
            guard let status = JobStatus(rawValue: status) else { continue }
            result.append(JobRun(name: name, workflowName: workflowName, status: status, branch: branch, createdAt: created,
                                 startedAt: started, stoppedAt: stopped))
        }
        return result
    }

    /// The names of a project's workflows that ever ran, sorted.
    public func workflowNames(project: String) async throws -> [String] {
        let rows = try await database.query("""
            SELECT DISTINCT w.name FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id
            WHERE p.project_slug = \(project) ORDER BY w.name
            """)
        var names: [String] = []
        for try await (name) in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// The branches a project's workflows (or one workflow) ran on, sorted; at most 5,000 as CircleCI.
    public func branches(project: String, workflow: String? = nil) async throws -> [String] {
        let rows = try await database.query("""
            SELECT DISTINCT p.branch FROM pipelines p JOIN workflows w ON w.pipeline_id = p.id
            WHERE p.project_slug = \(project) AND p.branch IS NOT NULL
              AND (\(workflow)::text IS NULL OR w.name = \(workflow))
            ORDER BY p.branch LIMIT 5000
            """)
        var names: [String] = []
        for try await (name) in rows.decode(String.self) { names.append(name) }
        return names
    }

    /// The projects of an organisation (`gh/acme`), by slug.
    public func projects(organization: String) async throws -> [String] {
        let rows = try await database.query("""
            SELECT slug FROM projects WHERE slug LIKE \(organization.replacingOccurrences(of: "%", with: "") + "/%") ORDER BY slug
            """)
        var slugs: [String] = []
        for try await (slug) in rows.decode(String.self) { slugs.append(slug) }
        return slugs
    }

    /// Test results of a project's jobs in workflows created since `since`, optionally only those of the
    /// given workflow runs. A parallel job's nodes count as that job.
    public func testExecutions(project: String, since: Date, workflows: [UUID]? = nil) async throws -> [TestExecution] {
        let rows = try await database.query("""
            SELECT w.name, COALESCE(pj.name, j.name), t.classname, t.name, t.file, t.report, t.result, t.run_time,
                   COALESCE(pj.number, j.number), EXTRACT(EPOCH FROM (COALESCE(pj.stopped_at, j.stopped_at)
                   - COALESCE(pj.started_at, j.started_at)))::double precision,
                   w.id, w.created_at, p.number, p.revision
            FROM test_results t JOIN jobs j ON j.id = t.job_id LEFT JOIN jobs pj ON pj.id = j.parent_id
                 JOIN workflows w ON w.id = j.workflow_id JOIN pipelines p ON p.id = w.pipeline_id
            WHERE t.project_slug = \(project) AND p.project_slug = \(project) AND w.created_at >= \(since)
              AND (\(workflows == nil) OR w.id = ANY(\(workflows ?? [])::uuid[]))
            ORDER BY t.seq
            """)
        var result: [TestExecution] = []
        for try await (workflowName, jobName, classname, name, file, report, outcome, runTime, jobNumber, jobDuration,
                       workflowId, workflowCreated, pipelineNumber, revision)
            in rows.decode((String, String, String, String, String, String, String, Double, Int, Double?, UUID, Date, Int,
                            String?).self) {
            let parts = report.split(separator: "/")
            result.append(TestExecution(
                key: .init(workflowName: workflowName, jobName: jobName, classname: classname, testName: name, file: file),
                source: parts.count > 1 ? String(parts[0]) : "unknown", result: outcome, runTime: runTime,
                jobNumber: jobNumber, jobDuration: jobDuration, workflowId: workflowId, workflowCreatedAt: workflowCreated,
                pipelineNumber: pipelineNumber, revision: revision))
        }
        return result
    }

    /// The ids of a workflow's `limit` most recent runs (optionally on one branch).
    public func recentWorkflowRuns(project: String, workflow: String, branch: String?, limit: Int) async throws -> [UUID] {
        let rows = try await database.query("""
            SELECT w.id FROM workflows w JOIN pipelines p ON p.id = w.pipeline_id
            WHERE p.project_slug = \(project) AND w.name = \(workflow) AND (\(branch)::text IS NULL OR p.branch = \(branch))
            ORDER BY w.created_at DESC LIMIT \(limit)
            """)
        var ids: [UUID] = []
        for try await (id) in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }
}
