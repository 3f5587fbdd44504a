import Foundation
import GyreModel
import Logging
import PostgresNIO

/// The read side of the v1.1 "build" calls: a job's parallel runs and a project's recent jobs.
public struct BuildStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    public struct NodeRun: Sendable, Equatable {
        public var index: Int
        public var jobId: UUID
        public var attempt: Int
        public var status: String
    }

    /// The runs of a parallel job (one row per node); empty for a job that runs as itself.
    public func nodeRuns(parent id: UUID) async throws -> [NodeRun] {
        let rows = try await database.query("""
            SELECT COALESCE(node_index, 0), id, attempt, status FROM jobs WHERE parent_id = \(id) ORDER BY node_index
            """)
        var result: [NodeRun] = []
        for try await (index, jobId, attempt, status) in rows.decode((Int, UUID, Int, String).self) {
            result.append(NodeRun(index: index, jobId: jobId, attempt: attempt, status: status))
        }
        return result
    }

    /// Numbers of a project's most recent jobs (not parallel runs), newest first.
    /// The newest jobs across `projects` (slug, number), newest first.
    public func recentJobs(projects: [String], limit: Int, offset: Int) async throws -> [(project: String, number: Int)] {
        let rows = try await database.query("""
            SELECT project_slug, number FROM jobs WHERE project_slug = ANY(\(projects)) AND parent_id IS NULL
            ORDER BY created_at DESC, number DESC LIMIT \(limit) OFFSET \(offset)
            """)
        var result: [(String, Int)] = []
        for try await (project, number) in rows.decode((String, Int).self) { result.append((project, number)) }
        return result
    }

    /// Every followed project (slug, git URL), by slug.
    public func projects() async throws -> [(slug: String, vcsURL: String)] {
        let rows = try await database.query("SELECT slug, vcs_url FROM projects ORDER BY slug")
        var result: [(String, String)] = []
        for try await row in rows.decode((String, String).self) { result.append(row) }
        return result
    }

    public func recentJobNumbers(project: ProjectSlug, limit: Int, offset: Int) async throws -> [Int] {
        let rows = try await database.query("""
            SELECT number FROM jobs WHERE project_slug = \(project.description) AND parent_id IS NULL
            ORDER BY number DESC LIMIT \(limit) OFFSET \(offset)
            """)
        var result: [Int] = []
        for try await number in rows.decode(Int.self) { result.append(number) }
        return result
    }
}
