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

    /// Applies status events in order, in one transaction: each one goes
    /// through its job's `JobLifecycle`, which drops events of attempts that
    /// no longer hold the job's lease. Returns the `JobFinished` messages they
    /// caused (written to the outbox in the same transaction).
    @discardableResult
    public func apply(_ events: [JobEvent]) async throws -> [JobFinished] {
        let statusEvents = events.filter { if case .output = $0.kind { return false } else { return true } }
        guard !statusEvents.isEmpty else { return [] }
        let jobIds = Array(Set(statusEvents.map(\.jobId)))
        // Starts and finishes are audited: their rows come with their audit facts.
        let audited = Array(Set(statusEvents.compactMap { event -> UUID? in
            switch event.kind {
            case .jobStarted, .jobFinished: return event.jobId
            default: return nil
            }
        }))
        return try await database.transaction { connection in
            // Batches from several agents are applied concurrently and may
            // touch the same jobs: every row lock is taken up front in one
            // global order so two batches never wait on each other in a cycle.
            var rows = try await LifecycleRows.lock(jobIds, auditFacts: audited, on: connection, logger: logger)
            var finished: [JobFinished] = []
            var audit: [AuditEvent] = []
            for event in statusEvents {
                guard var row = rows[event.jobId] else { continue }
                if let message = try await apply(event, to: &row, audit: &audit, on: connection) { finished.append(message) }
                rows[event.jobId] = row
            }
            // The batch's messages in one statement: its finished jobs and its audit events.
            var messages = finished.map { Outbox.Message($0, routingKey: Topology.RoutingKey.jobFinished) }
            if let message = AuditEvents.message(audit) { messages.append(message) }
            try await Outbox.add(messages, on: connection, logger: logger)
            return finished
        }
    }

    func apply(_ event: JobEvent, to row: inout LifecycleRows.Row, audit: inout [AuditEvent],
               on connection: PostgresConnection) async throws -> JobFinished? {
        let at = Date(timeIntervalSince1970: Double(event.at) / 1000)
        let change: JobLifecycle.Event
        switch event.kind {
        case .output: return nil
        case .jobStarted(let agentId): change = .started(agent: agentId, token: event.attempt)
        case .stepStarted, .stepFinished: change = .step(token: event.attempt)
        case .jobFinished(let status, _, _): change = .finished(token: event.attempt, status: status)
        }
        // A job can finish before its start report is applied (batches are handled
        // concurrently): it then starts and finishes in one step, audited as both.
        var unstarted = false
        if case .placed = row.lifecycle.state { unstarted = true }
        let transition = row.lifecycle.apply(change)
        guard transition.isApplied else {
            if case .ignored(let why) = transition {
                logger.debug("event dropped", metadata: ["job_id": "\(event.jobId)", "attempt": "\(event.attempt)",
                                                         "reason": "\(why)"])
            }
            return nil
        }
        switch event.kind {
        case .output:
            return nil
        case .jobStarted:
            try await LifecycleRows.save(row.id, row.lifecycle, at: at, on: connection, logger: logger)
            if let facts = row.audit {
                audit.append(JobAudit.event(JobAudit.start, job: row.parentId ?? row.id, status: row.lifecycle.status,
                                            facts: facts, at: at, node: row.parentId != nil))
            }
            if let parent = row.parentId {
                // A parallel job runs from its first run's start.
                _ = try await LifecycleRows.aggregate(parent: parent, at: at, on: connection, logger: logger)
            }
            return nil
        case .stepStarted(let index, let name, let kind):
            try await connection.run("""
                INSERT INTO steps (job_id, attempt, idx, name, kind, status, started_at)
                VALUES (\(event.jobId), \(event.attempt), \(index), \(name), \(kind), 'running', \(at))
                ON CONFLICT (job_id, attempt, idx) DO UPDATE SET started_at = EXCLUDED.started_at,
                    name = EXCLUDED.name, kind = EXCLUDED.kind
                """, logger)
            return nil
        case .stepFinished(let index, let status, let exitCode, let bytes):
            try await connection.run("""
                INSERT INTO steps (job_id, attempt, idx, name, kind, status, exit_code, bytes, stopped_at)
                VALUES (\(event.jobId), \(event.attempt), \(index), '', '', \(status.rawValue), \(exitCode.map(Int.init)),
                        \(bytes), \(at))
                ON CONFLICT (job_id, attempt, idx) DO UPDATE SET status = EXCLUDED.status,
                    exit_code = EXCLUDED.exit_code, bytes = EXCLUDED.bytes, stopped_at = EXCLUDED.stopped_at
                """, logger)
            return nil
        case .jobFinished(_, let message, let steps):
            if let steps {
                // Every step the agent finished before this must be stored first: a batch that
                // another output-processor replica holds may not be applied yet. Retried later.
                let rows = try await connection.run("""
                    SELECT count(*)::int FROM steps WHERE job_id = \(event.jobId) AND attempt = \(event.attempt)
                      AND status <> 'running'
                    """, logger)
                var stored = 0
                for try await count in rows.decode(Int.self) { stored = count }
                guard stored >= steps else {
                    throw StoreError(.notReady, "job \(event.jobId) attempt \(event.attempt) finished after \(steps) steps, "
                                     + "\(stored) of them stored so far; retrying once the rest arrive")
                }
            }
            try await LifecycleRows.save(row.id, row.lifecycle, at: at, message: message, on: connection, logger: logger)
            if unstarted, let facts = row.audit {
                // Just before the finish, so the two keep their order.
                audit.append(JobAudit.event(JobAudit.start, job: row.parentId ?? row.id, status: .running, facts: facts,
                                            at: at.addingTimeInterval(-0.000_001), node: row.parentId != nil))
            }
            guard let finished = try await LifecycleRows.finishedMessage(row, at: at, on: connection, logger: logger) else {
                return nil
            }
            if let facts = row.audit {
                audit.append(JobAudit.event(JobAudit.finish, job: finished.jobId, status: finished.status, facts: facts, at: at))
            }
            return finished
        }
    }
}
