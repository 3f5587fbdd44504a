import Foundation
import PostgresNIO

/// One job's (one node's) contribution to its workflow's workspace.
public struct WorkspaceLayerRecord: Sendable, Equatable {
    public var jobId: UUID
    public var node: Int
    public var size: Int64
    /// The blob, relative to the storage directory.
    public var file: String
}

extension StorageStore {
    /// Records a complete layer; a second PUT of the same job and node (an
    /// agent's retry) replaces it. Returns the replaced layer's file, to delete.
    public func putLayer(job: JobRef, node: Int, size: Int64, file: String) async throws -> String? {
        try await database.transaction { connection in
            var old: String?
            let rows = try await connection.query("""
                SELECT file FROM workspace_layers WHERE job_id = \(job.id) AND node = \(node) FOR UPDATE
                """, logger: logger)
            for try await file in rows.decode(String.self) { old = file }
            try await connection.query("""
                INSERT INTO workspace_layers (job_id, node, workflow_id, size, file)
                VALUES (\(job.id), \(node), \(job.workflowId), \(size), \(file))
                ON CONFLICT (job_id, node) DO UPDATE SET size = EXCLUDED.size, file = EXCLUDED.file,
                    seq = nextval('workspace_layers_seq_seq'), created_at = clock_timestamp()
                """, logger: logger)
            return old == file ? nil : old
        }
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
            SELECT job_id, node, size, file FROM workspace_layers
            WHERE job_id IN (SELECT id FROM chain) ORDER BY seq
            """)
        var layers: [WorkspaceLayerRecord] = []
        for try await (job, node, size, file) in rows.decode((UUID, Int, Int64, String).self) {
            layers.append(WorkspaceLayerRecord(jobId: job, node: node, size: size, file: file))
        }
        return layers
    }

    public func layer(job: UUID, node: Int) async throws -> WorkspaceLayerRecord? {
        let rows = try await database.query("""
            SELECT job_id, node, size, file FROM workspace_layers WHERE job_id = \(job) AND node = \(node)
            """)
        for try await (job, node, size, file) in rows.decode((UUID, Int, Int64, String).self) {
            return WorkspaceLayerRecord(jobId: job, node: node, size: size, file: file)
        }
        return nil
    }
}
