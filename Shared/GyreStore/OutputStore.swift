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
        return try await database.transaction { connection in
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
            try await connection.run("""
                UPDATE jobs SET status = 'running', started_at = to_timestamp(\(at))
                WHERE id = \(event.jobId) AND attempt = \(event.attempt) AND agent_id = \(agentId) AND status = 'queued'
                """, logger)
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
            do {
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
                let finished = JobFinished(jobId: event.jobId, workflowId: workflowId, status: status)
                try await Outbox.add(finished, routingKey: Topology.RoutingKey.jobFinished, on: connection, logger: logger)
                return finished
            }
        }
    }
}
