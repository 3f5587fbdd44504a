import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// Loads job rows into `JobLifecycle`s and saves what a transition decided:
/// the one way job statuses are written. Every caller works inside its own
/// transaction and locks rows in the global order (parents of parallel runs
/// first, then by id) so concurrent batches never deadlock.
enum LifecycleRows {
    /// A locked job row and its lifecycle.
    struct Row: Sendable {
        var id: UUID
        var workflowId: UUID
        var parentId: UUID?
        var lifecycle: JobLifecycle
        /// The job's audit facts (`JobAudit.jobFacts`), when the lock asked for them.
        var audit: JobAudit.Job? = nil
    }

    /// Locks `ids` and the parents of any parallel runs among them; returns every locked row by id.
    /// Rows listed in `auditFacts` come with their audit facts (read by the same statement).
    static func lock(_ ids: [UUID], auditFacts: [UUID] = [], on connection: PostgresConnection,
                     logger: Logger) async throws -> [UUID: Row] {
        guard !ids.isEmpty else { return [:] }
        guard !auditFacts.isEmpty else {
            let rows = try await connection.run("""
                SELECT id, workflow_id, parent_id, status, attempt, agent_id FROM jobs
                WHERE id = ANY(\(ids)) OR id IN (SELECT parent_id FROM jobs WHERE id = ANY(\(ids)))
                ORDER BY (id = ANY(\(ids))), id
                FOR UPDATE
                """, logger)
            return try await decode(rows)
        }
        let rows = try await connection.run("""
            SELECT id, workflow_id, parent_id, status, attempt, agent_id,
                   CASE WHEN id = ANY(\(auditFacts)) THEN \(unescaped: JobAudit.jobFacts) END
            FROM jobs
            WHERE id = ANY(\(ids)) OR id IN (SELECT parent_id FROM jobs WHERE id = ANY(\(ids)))
            ORDER BY (id = ANY(\(ids))), id
            FOR UPDATE OF jobs
            """, logger)
        var result: [UUID: Row] = [:]
        for try await (id, workflowId, parentId, status, attempt, agent, facts) in
            rows.decode((UUID, UUID, UUID?, String, Int, UUID?, String?).self) {
            let status = JobStatus(rawValue: status) ?? .infrastructureFail
            result[id] = Row(id: id, workflowId: workflowId, parentId: parentId,
                             lifecycle: JobLifecycle(status: status, attempt: attempt, agent: agent),
                             audit: JobAudit.Job.decode(facts))
        }
        return result
    }

    /// Locks the unfinished rows that `agent` holds.
    static func lock(heldBy agents: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [UUID: Row] {
        let rows = try await connection.run("""
            SELECT id, workflow_id, parent_id, status, attempt, agent_id FROM jobs
            WHERE agent_id = ANY(\(agents)) AND status IN ('queued', 'running')
            ORDER BY id FOR UPDATE
            """, logger)
        return try await decode(rows)
    }

    /// Reads rows without locking them (for events that change no state, like heartbeats).
    static func read(_ ids: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [UUID: Row] {
        guard !ids.isEmpty else { return [:] }
        return try await decode(connection.run("""
            SELECT id, workflow_id, parent_id, status, attempt, agent_id FROM jobs WHERE id = ANY(\(ids))
            """, logger))
    }

    static func decode(_ rows: PostgresRowSequence) async throws -> [UUID: Row] {
        var result: [UUID: Row] = [:]
        for try await (id, workflowId, parentId, status, attempt, agent) in
            rows.decode((UUID, UUID, UUID?, String, Int, UUID?).self) {
            let status = JobStatus(rawValue: status) ?? .infrastructureFail
            result[id] = Row(id: id, workflowId: workflowId, parentId: parentId,
                             lifecycle: JobLifecycle(status: status, attempt: attempt, agent: agent))
        }
        return result
    }

    /// Writes the state `lifecycle` reached (status, token, holder and the
    /// timestamps of the move). `at` is when it happened (the agent's clock
    /// for its reports); `message` replaces the job's message when given.
    static func save(_ id: UUID, _ lifecycle: JobLifecycle, at: Date = Date(), message: String? = nil,
                     on connection: PostgresConnection, logger: Logger) async throws {
        let status = lifecycle.status.rawValue
        switch lifecycle.state {
        case .blocked, .onHold:
            try await connection.run("UPDATE jobs SET status = \(status) WHERE id = \(id)", logger)
        case .queued(let token):
            // Keeps queued_at: a job queued again keeps its place in line.
            try await connection.run("""
                UPDATE jobs SET status = \(status), attempt = \(token), agent_id = NULL, started_at = NULL,
                       queued_at = COALESCE(queued_at, \(at)), message = COALESCE(\(message), message)
                WHERE id = \(id)
                """, logger)
        case .placed(let lease):
            try await connection.run("""
                UPDATE jobs SET status = \(status), attempt = \(lease.token), agent_id = \(lease.agent), assigned_at = \(at)
                WHERE id = \(id)
                """, logger)
        case .running(let lease):
            try await connection.run("""
                UPDATE jobs SET status = \(status), attempt = \(lease.token), agent_id = \(lease.agent), started_at = \(at)
                WHERE id = \(id)
                """, logger)
        case .finished:
            try await connection.run("""
                UPDATE jobs SET status = \(status), stopped_at = \(at), started_at = COALESCE(started_at, \(at)),
                       message = COALESCE(\(message), message)
                WHERE id = \(id)
                """, logger)
        }
    }

    /// Carries out what a transition asks for that is the same everywhere:
    /// stop orders to agents (outbox) and closing a superseded attempt's steps.
    /// `assign`, `recordStart` and `announceFinished` need the caller's context.
    static func perform(_ actions: [JobLifecycle.Action], job id: UUID, on connection: PostgresConnection,
                        logger: Logger) async throws {
        for action in actions {
            switch action {
            case .stop(let agent, let token, let reason):
                try await Outbox.add(JobCancel(jobId: id, attempt: token, reason: reason.rawValue),
                                     routingKey: Topology.RoutingKey.agent(agent.uuidString.lowercased()),
                                     on: connection, logger: logger)
            case .closeSteps(let token, let reason):
                try await connection.run("""
                    UPDATE steps SET status = 'canceled', stopped_at = now(), message = \(reason)
                    WHERE job_id = \(id) AND attempt = \(token) AND status = 'running'
                    """, logger)
            case .assign, .recordStart, .announceFinished:
                break
            }
        }
    }

    /// Tells the workflow that a (saved) finished row ended its job: a
    /// `JobFinished` in the outbox, for the job itself or, for a parallel
    /// run, for its job once the last run ended (with the runs' combined status),
    /// and its `workflow.job.finish` audit event when the row was locked with its facts.
    static func announceFinished(_ row: Row, at: Date, on connection: PostgresConnection,
                                 logger: Logger) async throws -> JobFinished? {
        guard let finished = try await finishedMessage(row, at: at, on: connection, logger: logger) else { return nil }
        var messages = [Outbox.Message(finished, routingKey: Topology.RoutingKey.jobFinished)]
        if let facts = row.audit {
            messages += AuditEvents.message([JobAudit.event(JobAudit.finish, job: finished.jobId, status: finished.status,
                                                            facts: facts, at: at)]).map { [$0] } ?? []
        }
        try await Outbox.add(messages, on: connection, logger: logger)
        return finished
    }

    /// The `JobFinished` that a (saved) finished row causes, without adding it
    /// to the outbox: for the job itself or, for a parallel run, for its job
    /// once the last run ended (the parent's row is updated here).
    static func finishedMessage(_ row: Row, at: Date, on connection: PostgresConnection,
                                logger: Logger) async throws -> JobFinished? {
        var finishedId = row.id
        var status = row.lifecycle.status
        if let parent = row.parentId {
            guard let combined = try await aggregate(parent: parent, at: at, on: connection, logger: logger) else { return nil }
            finishedId = parent
            status = combined
        }
        return JobFinished(jobId: finishedId, workflowId: row.workflowId, status: status)
    }

    /// The status a parallel job's row takes from its runs' statuses
    /// (`ParallelRuns.status`), written when it changed. Returns the new
    /// status when the job just ended.
    static func aggregate(parent: UUID, at: Date, on connection: PostgresConnection, logger: Logger) async throws -> JobStatus? {
        let rows = try await connection.run("""
            SELECT (SELECT status FROM jobs WHERE id = \(parent)), array_agg(status) FROM jobs WHERE parent_id = \(parent)
            """, logger)
        var current: JobStatus?
        var runs: [JobStatus] = []
        for try await (status, statuses) in rows.decode((String?, [String]?).self) {
            current = status.flatMap(JobStatus.init(rawValue:))
            runs = (statuses ?? []).map { JobStatus(rawValue: $0) ?? .failed }
        }
        guard let current, !current.isFinal, let next = ParallelRuns.status(of: runs), next != current else { return nil }
        if next.isFinal {
            try await connection.run("""
                UPDATE jobs SET status = \(next.rawValue), stopped_at = \(at), started_at = COALESCE(started_at, \(at))
                WHERE id = \(parent)
                """, logger)
            return next
        }
        try await connection.run("""
            UPDATE jobs SET status = \(next.rawValue),
                   started_at = CASE WHEN \(next == .running) THEN COALESCE(started_at, \(at)) ELSE started_at END
            WHERE id = \(parent)
            """, logger)
        return nil
    }
}
