import Foundation
import GyreModel
import Logging
import PostgresNIO

/// A workflow's `triggers: schedule` as recorded for one branch of a project.
public struct ScheduleRecord: Sendable, Equatable, Hashable {
    public var project: String
    public var workflow: String
    public var branch: String
    public var cron: String

    public init(project: String, workflow: String, branch: String, cron: String) {
        self.project = project
        self.workflow = workflow
        self.branch = branch
        self.cron = cron
    }
}

/// Schedules and their ticks. Several dispatcher replicas tick together; the
/// `schedule_ticks` primary key lets exactly one of them fire each tick.
public struct ScheduleStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    var logger: Logger { database.logger }

    /// Makes the recorded schedules of `project` on `branch` exactly `schedules`
    /// (the ones the config compiled on that branch declares).
    public func replace(project: String, branch: String, with schedules: [(workflow: String, cron: String)]) async throws {
        if schedules.isEmpty {
            // The common case (no schedules in the config): one cheap statement, no lock, on the compile path.
            try await database.query("DELETE FROM schedules WHERE project_slug = \(project) AND branch = \(branch)")
            return
        }
        try await database.transaction { connection in
            // Serialises concurrent compiles of one project so the delete below sees the latest set.
            try await connection.run("SELECT slug FROM projects WHERE slug = \(project) FOR UPDATE", logger)
            let workflows = schedules.map(\.workflow)
            let crons = schedules.map(\.cron)
            try await connection.run("""
                DELETE FROM schedules s WHERE s.project_slug = \(project) AND s.branch = \(branch)
                AND NOT EXISTS (SELECT 1 FROM unnest(\(workflows)::text[], \(crons)::text[]) AS k(workflow, cron)
                                WHERE k.workflow = s.workflow AND k.cron = s.cron)
                """, logger)
            for schedule in schedules {
                try await connection.run("""
                    INSERT INTO schedules (project_slug, workflow, branch, cron)
                    VALUES (\(project), \(schedule.workflow), \(branch), \(schedule.cron))
                    ON CONFLICT (project_slug, workflow, branch, cron) DO UPDATE SET updated_at = now()
                    """, logger)
            }
        }
    }

    public func all() async throws -> [ScheduleRecord] {
        let rows = try await database.query(
            "SELECT project_slug, workflow, branch, cron FROM schedules ORDER BY project_slug, workflow, branch, cron")
        var result: [ScheduleRecord] = []
        for try await (project, workflow, branch, cron) in rows.decode((String, String, String, String).self) {
            result.append(ScheduleRecord(project: project, workflow: workflow, branch: branch, cron: cron))
        }
        return result
    }

    public func schedules(project: String) async throws -> [ScheduleRecord] {
        try await all().filter { $0.project == project }
    }

    /// Claims the tick for (project, workflow, branch) and, if this caller won
    /// it, creates the scheduled pipeline in the same transaction. Returns the
    /// new pipeline's id, or nil when another replica already fired this tick.
    public func fire(project: ProjectSlug, workflow: String, branch: String, tick: Date) async throws -> UUID? {
        try await database.transaction { connection in
            let claimed = try await connection.run("""
                INSERT INTO schedule_ticks (project_slug, workflow, branch, tick)
                VALUES (\(project.description), \(workflow), \(branch), \(tick))
                ON CONFLICT DO NOTHING RETURNING tick
                """, logger)
            var won = false
            for try await _ in claimed.decode(Date.self) { won = true }
            guard won else { return nil }
            let request = PipelineRequest(
                project: project, branch: branch, tag: nil, triggerType: "schedule",
                triggerSource: .scheduledPipeline, scheduledWorkflow: workflow, actor: "scheduler")
            guard let id = try await TriggeredPipelines.insert(request, on: connection, logger: logger) else { return nil }
            try await connection.run("""
                UPDATE schedule_ticks SET pipeline_id = \(id)
                WHERE project_slug = \(project.description) AND workflow = \(workflow) AND branch = \(branch) AND tick = \(tick)
                """, logger)
            return id
        }
    }
}
