import Foundation
import PostgresNIO

/// One persist of one job (one node) into its workflow's workspace. A job
/// may persist several times (one layer per `persist_to_workspace` step).
public struct WorkspaceLayerRecord: Sendable, Equatable {
    /// Unique, and increasing in the order layers were persisted.
    public var id: Int64
    public var jobId: UUID
    public var node: Int
    /// The persisting step's index, when the agent names it.
    public var step: Int?
    public var size: Int64
    /// The blob, relative to the storage directory.
    public var file: String
}

extension StorageStore {
    static let layerColumns = "seq, job_id, node, step, size, file"

    static func decodeLayers(_ rows: PostgresRowSequence) async throws -> [WorkspaceLayerRecord] {
        var layers: [WorkspaceLayerRecord] = []
        for try await (id, job, node, step, size, file) in rows.decode((Int64, UUID, Int, Int?, Int64, String).self) {
            layers.append(WorkspaceLayerRecord(id: id, jobId: job, node: node, step: step, size: size, file: file))
        }
        return layers
    }

    /// Records a complete layer. With a `step`, a second PUT of the same job,
    /// node and step (an agent's retry) replaces the first. Returns the new
    /// layer and the replaced layer's file, to delete.
    public func addLayer(job: JobRef, node: Int, step: Int?, size: Int64, file: String) async throws
        -> (layer: WorkspaceLayerRecord, replaced: String?) {
        try await database.transaction { connection in
            var old: String?
            if let step {
                let rows = try await connection.query("""
                    DELETE FROM workspace_layers WHERE job_id = \(job.id) AND node = \(node) AND step = \(step) RETURNING file
                    """, logger: logger)
                for try await file in rows.decode(String.self) { old = file }
            }
            let rows = try await connection.query("""
                INSERT INTO workspace_layers (job_id, node, step, workflow_id, size, file)
                VALUES (\(job.id), \(node), \(step), \(job.workflowId), \(size), \(file))
                RETURNING \(unescaped: Self.layerColumns)
                """, logger: logger)
            guard let layer = try await Self.decodeLayers(rows).first else {
                throw StoreError(.unavailable, "workspace layer was not stored")
            }
            return (layer, old == file ? nil : old)
        }
    }

    /// The latest layer of a job's node (for recognising a retried upload).
    public func latestLayer(job: UUID, node: Int) async throws -> WorkspaceLayerRecord? {
        let rows = try await database.query("""
            SELECT \(unescaped: Self.layerColumns) FROM workspace_layers
            WHERE job_id = \(job) AND node = \(node) ORDER BY seq DESC LIMIT 1
            """)
        return try await Self.decodeLayers(rows).first
    }

    /// The workflow's jobs (parallel runs left out), for `WorkspaceUpstream`.
    public func workspaceJobs(workflow: UUID) async throws -> [WorkspaceUpstream.Job] {
        let rows = try await database.query("""
            SELECT id, name, requires::text FROM jobs WHERE workflow_id = \(workflow) AND parent_id IS NULL
            ORDER BY position, number
            """)
        var jobs: [WorkspaceUpstream.Job] = []
        for try await (id, name, requires) in rows.decode((UUID, String, String).self) {
            jobs.append(.init(id: id, name: name, requires: (try? JSON.decode([String].self, requires)) ?? []))
        }
        return jobs
    }

    /// The layers persisted by `jobs`, in the order they were persisted. A job
    /// copied by a rerun (`origin_job_id`) contributes its original's layers.
    public func layers(of jobs: [UUID]) async throws -> [WorkspaceLayerRecord] {
        guard !jobs.isEmpty else { return [] }
        let rows = try await database.query("""
            WITH RECURSIVE chain(id, origin, depth) AS (
                SELECT id, origin_job_id, 0 FROM jobs WHERE id = ANY(\(jobs))
                UNION ALL
                SELECT j.id, j.origin_job_id, c.depth + 1 FROM chain c JOIN jobs j ON j.id = c.origin WHERE c.depth < 20
            )
            SELECT \(unescaped: Self.layerColumns) FROM workspace_layers
            WHERE job_id IN (SELECT id FROM chain) ORDER BY seq
            """)
        return try await Self.decodeLayers(rows)
    }

    /// One layer: by its id, else the job's node's latest.
    public func layer(job: UUID, node: Int, id: Int64?) async throws -> WorkspaceLayerRecord? {
        guard let id else { return try await latestLayer(job: job, node: node) }
        let rows = try await database.query("""
            SELECT \(unescaped: Self.layerColumns) FROM workspace_layers WHERE seq = \(id) AND job_id = \(job) AND node = \(node)
            """)
        return try await Self.decodeLayers(rows).first
    }
}
