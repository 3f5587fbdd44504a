import Foundation
import Logging
import PostgresNIO

/// What one attempt of a job may touch on the internal storage API.
public struct JobCredential: Sendable, Equatable {
    /// The run's id (the job's own for parallelism 1) and the job's.
    public var job: UUID
    public var parentJob: UUID
    public var project: String
    public var workflow: UUID
    /// The run before it (a rerun from failed), whose failed tests it may read.
    public var previousRun: UUID?

    public init(job: UUID, parentJob: UUID, project: String, workflow: UUID, previousRun: UUID?) {
        self.job = job
        self.parentJob = parentJob
        self.project = project
        self.workflow = workflow
        self.previousRun = previousRun
    }
}

extension StorageStore {
    /// The job attempt whose agent holds `token`, while it is placed or running; nil otherwise.
    public func jobCredential(token: String) async throws -> JobCredential? {
        let rows = try await database.query("""
            SELECT j.id, COALESCE(j.parent_id, j.id), j.project_slug, j.workflow_id,
                   COALESCE(j.previous_run_id, (SELECT p.previous_run_id FROM jobs p WHERE p.id = j.parent_id))
            FROM jobs j
            WHERE j.agent_token_hash = \(IdentityStore.hash(token)) AND j.status IN ('queued', 'running')
            """)
        for try await (job, parent, project, workflow, previous) in rows.decode((UUID, UUID, String, UUID, UUID?).self) {
            return JobCredential(job: job, parentJob: parent, project: project, workflow: workflow, previousRun: previous)
        }
        return nil
    }
}
