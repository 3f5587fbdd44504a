import Foundation
import GyreModel
import PostgresNIO

/// Pipeline lists of API v2, newest first, paged by offset.
extension PipelineStore {
    /// A project's pipelines (optionally one branch's, or one user's).
    public func pipelines(project: String, branch: String? = nil, actor: UUID? = nil,
                          offset: Int, limit: Int) async throws -> [PipelineRecord] {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.pipelineColumns) FROM pipelines
            WHERE project_slug = \(project) AND (\(branch)::text IS NULL OR branch = \(branch))
              AND (\(actor)::uuid IS NULL OR actor_id = \(actor))
            ORDER BY number DESC OFFSET \(offset) LIMIT \(limit)
            """)
        var result: [PipelineRecord] = []
        for try await row in rows { result.append(try Self.decodePipeline(row)) }
        return result
    }

    /// A project's pipeline by its number.
    public func pipeline(project: String, number: Int) async throws -> PipelineRecord? {
        for try await row in try await database.query("""
            SELECT \(unescaped: Self.pipelineColumns) FROM pipelines WHERE project_slug = \(project) AND number = \(number)
            """) { return try Self.decodePipeline(row) }
        return nil
    }

    /// The pipelines of an organisation's projects (`gh/acme`), newest first, optionally one user's.
    public func pipelines(organization: String, actor: UUID? = nil, offset: Int, limit: Int) async throws -> [PipelineRecord] {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.pipelineColumns) FROM pipelines
            WHERE project_slug LIKE \(organization.replacingOccurrences(of: "%", with: "") + "/%")
              AND (\(actor)::uuid IS NULL OR actor_id = \(actor))
            ORDER BY created_at DESC, id OFFSET \(offset) LIMIT \(limit)
            """)
        var result: [PipelineRecord] = []
        for try await row in rows { result.append(try Self.decodePipeline(row)) }
        return result
    }

    /// Every organisation, by slug.
    public func organizations() async throws -> [(id: UUID, slug: String, name: String, vcsType: String)] {
        let rows = try await database.query("SELECT id, slug, name, vcs_type FROM organizations ORDER BY slug")
        var result: [(id: UUID, slug: String, name: String, vcsType: String)] = []
        for try await row in rows.decode((UUID, String, String, String).self) { result.append(row) }
        return result
    }

    /// The configuration texts of a pipeline: what was fetched and, for a setup pipeline, what it was continued with.
    public func configuration(pipeline id: UUID) async throws -> (source: String?, continuation: String?, setup: Bool)? {
        let rows = try await database.query("""
            SELECT config_source, continuation_config, continuation_key IS NOT NULL OR state = 'setup' FROM pipelines WHERE id = \(id)
            """)
        for try await row in rows.decode((String?, String?, Bool).self) { return row }
        return nil
    }
}
