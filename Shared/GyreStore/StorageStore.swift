import Foundation
import Logging
import PostgresNIO

/// Metadata of the storage service: caches, workspace layers, artifacts and
/// test results (their bytes are files in the storage directory, see `BlobFiles`).
/// Used by the output-processor (writes and the agent's reads) and the frontend (public reads).
public struct StorageStore: Sendable {
    public let database: Database
    /// Caches older than this many days are gone for lookups (and the reaper deletes
    /// them); 0 keeps them forever. CircleCI keeps caches 15 days.
    public let cacheRetentionDays: Int

    public init(database: Database, cacheRetentionDays: Int = 0) {
        self.database = database
        self.cacheRetentionDays = max(0, cacheRetentionDays)
    }

    var logger: Logger { database.logger }

    /// A job as storage sees it: a parallel run counts as its parent job.
    public struct JobRef: Sendable, Equatable {
        /// The job (the parent for a parallel run).
        public var id: UUID
        public var workflowId: UUID
        public var projectSlug: String
        /// The job number (shared by a parallel job's runs).
        public var number: Int
    }

    /// The job `id` names, or the parent job when `id` is one of its parallel runs.
    public func job(_ id: UUID) async throws -> JobRef? {
        let rows = try await database.query("""
            SELECT COALESCE(parent_id, id), workflow_id, project_slug, number FROM jobs WHERE id = \(id)
            """)
        for try await (job, workflow, slug, number) in rows.decode((UUID, UUID, String, Int).self) {
            return JobRef(id: job, workflowId: workflow, projectSlug: slug, number: number)
        }
        return nil
    }

    /// The job a project's job number names (the parent row of a parallel job).
    public func job(project: String, number: Int) async throws -> JobRef? {
        let rows = try await database.query("""
            SELECT id, workflow_id, project_slug, number FROM jobs
            WHERE project_slug = \(project) AND number = \(number) AND parent_id IS NULL
            """)
        for try await (job, workflow, slug, number) in rows.decode((UUID, UUID, String, Int).self) {
            return JobRef(id: job, workflowId: workflow, projectSlug: slug, number: number)
        }
        return nil
    }

    /// The project's most recent job (highest number; approval jobs left out), optionally
    /// on a branch and with one of `statuses` (nil: any), for v1.1's `latest/artifacts`.
    public func latestJob(project: String, branch: String?, statuses: [String]?) async throws -> JobRef? {
        let rows = try await database.query("""
            SELECT j.id, j.workflow_id, j.project_slug, j.number FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
            WHERE j.project_slug = \(project) AND j.parent_id IS NULL AND j.type = 'build'
              AND (\(branch)::text IS NULL OR p.branch = \(branch))
              AND (\(statuses == nil) OR j.status = ANY(\(statuses ?? [])))
            ORDER BY j.number DESC LIMIT 1
            """)
        for try await (job, workflow, slug, number) in rows.decode((UUID, UUID, String, Int).self) {
            return JobRef(id: job, workflowId: workflow, projectSlug: slug, number: number)
        }
        return nil
    }

    public func projectExists(_ slug: String) async throws -> Bool {
        let rows = try await database.query("SELECT 1 FROM projects WHERE slug = \(slug)")
        for try await _ in rows { return true }
        return false
    }
}
