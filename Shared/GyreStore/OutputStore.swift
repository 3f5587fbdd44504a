import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// The output-processor's writes: step and job status from agents' events.
/// Events from an attempt that is no longer current are dropped; each update
/// only moves a status forward, so redelivered or reordered events are harmless.
public struct OutputStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    /// Applies status events in order, in one transaction. Returns the
    /// `JobFinished` messages they caused (written to the outbox in the same transaction).
    @discardableResult
    public func apply(_ events: [JobEvent]) async throws -> [JobFinished] {
        let statusEvents = events.filter { if case .output = $0.kind { return false } else { return true } }
        guard !statusEvents.isEmpty else { return [] }
        let jobIds = Array(Set(statusEvents.map(\.jobId)))
        return try await database.transaction { connection in
            // Batches from several agents are applied concurrently and may
            // touch the same jobs: take every row lock up front in one global
            // order (parents of parallel runs first, then the jobs, each by
            // id) so two batches never wait on each other in a cycle.
            try await connection.run("""
                SELECT id FROM jobs
                WHERE id = ANY(\(jobIds)) OR id IN (SELECT parent_id FROM jobs WHERE id = ANY(\(jobIds)))
                ORDER BY (id = ANY(\(jobIds))), id
                FOR UPDATE
                """, logger)
            var finished: [JobFinished] = []
            for event in statusEvents {
                if let message = try await apply(event, on: connection) { finished.append(message) }
            }
            return finished
        }
    }

    func apply(_ event: JobEvent, on connection: PostgresConnection) async throws -> JobFinished? {
        let at = Double(event.at) / 1000
        switch event.kind {
        case .output:
            return nil
        case .jobStarted(let agentId):
            let parent = try await lockParent(of: event.jobId, on: connection)
            let started = try await connection.run("""
                UPDATE jobs SET status = 'running', started_at = to_timestamp(\(at))
                WHERE id = \(event.jobId) AND attempt = \(event.attempt) AND agent_id = \(agentId) AND status = 'queued'
                RETURNING id
                """, logger)
            var changed = false
            for try await _ in started { changed = true }
            if changed, let parent {
                // A parallel job runs from its first run's start.
                try await connection.run("""
                    UPDATE jobs SET status = 'running', started_at = COALESCE(started_at, to_timestamp(\(at)))
                    WHERE id = \(parent) AND status = 'queued'
                    """, logger)
            }
            return nil
        case .stepStarted(let index, let name, let kind):
            try await connection.run("""
                INSERT INTO steps (job_id, attempt, idx, name, kind, status, started_at)
                SELECT \(event.jobId), \(event.attempt), \(index), \(name), \(kind), 'running', to_timestamp(\(at))
                WHERE EXISTS (SELECT 1 FROM jobs WHERE id = \(event.jobId) AND attempt = \(event.attempt))
                ON CONFLICT (job_id, attempt, idx) DO UPDATE SET started_at = EXCLUDED.started_at,
                    name = EXCLUDED.name, kind = EXCLUDED.kind
                """, logger)
            return nil
        case .stepFinished(let index, let status, let exitCode, let bytes):
            try await connection.run("""
                INSERT INTO steps (job_id, attempt, idx, name, kind, status, exit_code, bytes, stopped_at)
                SELECT \(event.jobId), \(event.attempt), \(index), '', '', \(status.rawValue), \(exitCode.map(Int.init)),
                       \(bytes), to_timestamp(\(at))
                WHERE EXISTS (SELECT 1 FROM jobs WHERE id = \(event.jobId) AND attempt = \(event.attempt))
                ON CONFLICT (job_id, attempt, idx) DO UPDATE SET status = EXCLUDED.status,
                    exit_code = EXCLUDED.exit_code, bytes = EXCLUDED.bytes, stopped_at = EXCLUDED.stopped_at
                """, logger)
            return nil
        case .jobFinished(let status, let message):
            let parent = try await lockParent(of: event.jobId, on: connection)
            let rows = try await connection.run("""
                UPDATE jobs SET status = \(status.rawValue), message = \(message), stopped_at = to_timestamp(\(at)),
                       started_at = COALESCE(started_at, to_timestamp(\(at)))
                WHERE id = \(event.jobId) AND attempt = \(event.attempt)
                  AND status IN ('queued', 'running')
                RETURNING workflow_id
                """, logger)
            var workflowId: UUID?
            for try await id in rows.decode(UUID.self) { workflowId = id }
            guard let workflowId else { return nil }
            var finishedId = event.jobId
            var finishedStatus = status
            if let parent {
                // A parallel job finishes when its last run does, with the runs' combined status.
                let runs = try await connection.run("SELECT status FROM jobs WHERE parent_id = \(parent)", logger)
                var statuses: [JobStatus] = []
                for try await text in runs.decode(String.self) { statuses.append(JobStatus(rawValue: text) ?? .failed) }
                guard let combined = JobStatus.combined(statuses) else { return nil }
                let updated = try await connection.run("""
                    UPDATE jobs SET status = \(combined.rawValue), stopped_at = to_timestamp(\(at)),
                           started_at = COALESCE(started_at, to_timestamp(\(at)))
                    WHERE id = \(parent) AND status IN ('queued', 'running')
                    RETURNING id
                    """, logger)
                var changed = false
                for try await _ in updated { changed = true }
                guard changed else { return nil }
                finishedId = parent
                finishedStatus = combined
            }
            let finished = JobFinished(jobId: finishedId, workflowId: workflowId, status: finishedStatus)
            try await Outbox.add(finished, routingKey: Topology.RoutingKey.jobFinished, on: connection, logger: logger)
            return finished
        }
    }

    /// For a parallel run: locks its parent job row (parents are locked
    /// before runs everywhere) and returns the parent's id.
    func lockParent(of job: UUID, on connection: PostgresConnection) async throws -> UUID? {
        let rows = try await connection.run("""
            SELECT p.id FROM jobs r JOIN jobs p ON p.id = r.parent_id WHERE r.id = \(job) FOR UPDATE OF p
            """, logger)
        for try await id in rows.decode(UUID.self) { return id }
        return nil
    }
}
