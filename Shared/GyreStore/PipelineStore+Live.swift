import Foundation
import GyreModel
import PostgresNIO

extension PipelineStore {
    /// What a list or pipeline page shows of its pipelines, workflows and jobs, as one text that changes exactly
    /// when one of their statuses does (or a pipeline appears), and the jobs still moving (whose announcements
    /// a page follows).
    public struct LiveState: Sendable, Equatable {
        public var fingerprint: String
        public var moving: [UUID]

        /// The fingerprint's FNV-1a hash in hex: the same on every replica, for a page to say what it shows.
        public var version: String {
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in fingerprint.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100_0000_01b3
            }
            return String(hash, radix: 16)
        }
    }

    /// The state of a project's pipelines page (`offset`, `limit`, `branch` as the page lists them), or of one
    /// pipeline (`number`).
    public func liveState(project: String, number: Int? = nil, branch: String? = nil,
                          offset: Int = 0, limit: Int = 20) async throws -> LiveState {
        let rows = try await database.query("""
            WITH p AS (
                SELECT id, number, state FROM pipelines
                WHERE project_slug = \(project) AND (\(number)::int IS NULL OR number = \(number))
                  AND (\(branch)::text IS NULL OR branch = \(branch))
                ORDER BY number DESC OFFSET \(offset) LIMIT \(limit))
            SELECT 'p', p.id, p.number::text || ' ' || p.state FROM p
            UNION ALL SELECT 'w', w.id, w.status FROM workflows w JOIN p ON w.pipeline_id = p.id
            UNION ALL SELECT 'j', j.id, j.status FROM jobs j JOIN workflows w ON j.workflow_id = w.id JOIN p ON w.pipeline_id = p.id
                WHERE j.parent_id IS NULL
            ORDER BY 1, 2
            """)
        var fingerprint = ""
        var moving: [UUID] = []
        for try await (kind, id, text) in rows.decode((String, UUID, String).self) {
            fingerprint += "\(kind) \(id) \(text)\n"
            if kind == "j", let status = JobStatus(rawValue: text), !status.isFinal { moving.append(id) }
        }
        return LiveState(fingerprint: fingerprint, moving: moving)
    }
}
