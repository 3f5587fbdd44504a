import Foundation
import PostgresNIO

public struct ArtifactRecord: Sendable, Equatable {
    public var node: Int
    public var path: String
    public var size: Int64
    /// The blob, relative to the storage directory.
    public var file: String
}

extension StorageStore {
    /// Records a stored artifact; storing the same path again replaces it.
    /// Returns the replaced file, to delete.
    public func putArtifact(job: UUID, node: Int, path: ArtifactPath, size: Int64, file: String) async throws -> String? {
        try await database.transaction { connection in
            var old: String?
            let rows = try await connection.query("""
                SELECT file FROM artifacts WHERE job_id = \(job) AND node = \(node) AND path = \(path.value) FOR UPDATE
                """, logger: logger)
            for try await file in rows.decode(String.self) { old = file }
            try await connection.query("""
                INSERT INTO artifacts (job_id, node, path, size, file) VALUES (\(job), \(node), \(path.value), \(size), \(file))
                ON CONFLICT (job_id, node, path) DO UPDATE SET size = EXCLUDED.size, file = EXCLUDED.file,
                    created_at = clock_timestamp()
                """, logger: logger)
            return old == file ? nil : old
        }
    }

    /// A job's artifacts from all its nodes, by node then path.
    public func artifacts(job: UUID) async throws -> [ArtifactRecord] {
        let rows = try await database.query("""
            SELECT node, path, size, file FROM artifacts
            WHERE job_id = \(job) OR job_id IN (SELECT id FROM jobs WHERE parent_id = \(job))
            ORDER BY node, path
            """)
        var items: [ArtifactRecord] = []
        for try await (node, path, size, file) in rows.decode((Int, String, Int64, String).self) {
            items.append(ArtifactRecord(node: node, path: path, size: size, file: file))
        }
        return items
    }

    public func artifact(job: UUID, node: Int, path: ArtifactPath) async throws -> ArtifactRecord? {
        let rows = try await database.query("""
            SELECT node, path, size, file FROM artifacts
            WHERE (job_id = \(job) OR job_id IN (SELECT id FROM jobs WHERE parent_id = \(job)))
              AND node = \(node) AND path = \(path.value)
            """)
        for try await (node, path, size, file) in rows.decode((Int, String, Int64, String).self) {
            return ArtifactRecord(node: node, path: path, size: size, file: file)
        }
        return nil
    }
}
