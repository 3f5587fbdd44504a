import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// `serial-group`: the jobs of one group run one at a time, across pipelines
/// and projects, in pipeline order. A job of a group whose requirements are
/// met stays `blocked` with `serial_waiting_since` set; whenever a group may
/// have become free (a job of it was created ready, waited, or ended), the
/// oldest waiting job of the group is queued if no job of the group is
/// queued or running. Decisions about a group are serialised by a
/// transaction-scoped advisory lock on the group's name, taken before any of
/// its job rows is touched.
enum SerialGroups {
    /// Queues the next waiting job of each free group; returns the job (run) ids queued.
    @discardableResult
    static func release(_ groups: Set<String>, on connection: PostgresConnection, logger: Logger) async throws -> [UUID] {
        var queued: [UUID] = []
        for group in groups.sorted() {
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.lockKey), hashtext(\(group)))", logger)
            let busy = try await connection.run("""
                SELECT count(*)::int FROM jobs WHERE serial_group = \(group) AND status IN ('queued', 'running')
                """, logger)
            var active = 0
            for try await count in busy.decode(Int.self) { active = count }
            guard active == 0 else { continue }
            let next = try await connection.run("""
                SELECT j.id FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
                WHERE j.serial_group = \(group) AND j.parent_id IS NULL AND j.status = 'blocked'
                  AND j.serial_waiting_since IS NOT NULL
                ORDER BY p.created_at, p.number, j.position, j.id LIMIT 1
                """, logger)
            var chosen: UUID?
            for try await id in next.decode(UUID.self) { chosen = id }
            guard let chosen else { continue }
            let rows = try await connection.run("""
                SELECT id, workflow_id, parent_id, status, attempt, agent_id FROM jobs
                WHERE id = \(chosen) OR parent_id = \(chosen) ORDER BY parent_id NULLS FIRST, id FOR UPDATE
                """, logger)
            let locked = try await LifecycleRows.decode(rows)
            var ids: [UUID] = []
            for var row in locked.values.sorted(by: { ($0.parentId == nil ? 0 : 1, $0.id.uuidString) < ($1.parentId == nil ? 0 : 1, $1.id.uuidString) }) {
                guard row.lifecycle.apply(.unblocked).isApplied else { continue }
                try await LifecycleRows.save(row.id, row.lifecycle, on: connection, logger: logger)
                ids.append(row.id)
            }
            try await connection.run("UPDATE jobs SET serial_waiting_since = NULL WHERE id = \(chosen) OR parent_id = \(chosen)",
                                     logger)
            // The scheduler places runs; a parallel job's own row only follows them.
            let announce = locked.count > 1 ? ids.filter { $0 != chosen } : ids
            var messages = announce.map { Outbox.Message(JobReady(jobId: $0), routingKey: Topology.RoutingKey.jobReady) }
            if ids.contains(chosen), let facts = try await JobAudit.facts([chosen], on: connection, logger: logger)[chosen],
               let message = AuditEvents.message([JobAudit.event(JobAudit.scheduled, job: chosen, status: .queued, facts: facts)]) {
                messages.append(message)
            }
            try await Outbox.add(messages, on: connection, logger: logger)
            logger.info("serial group released", metadata: ["serial_group": "\(group)", "job_id": "\(chosen)"])
            queued += announce
        }
        return queued
    }

    /// The advisory lock class of serial groups ("sgrp").
    static let lockKey: Int32 = 0x7367_7270
}
