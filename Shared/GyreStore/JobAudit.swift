import Foundation
import GyreModel
import Logging
import PostgresNIO

/// The `workflow.job.*` audit events: `scheduled` (queued for an agent),
/// `start` (running), `finish` (a final status) and `approve`. Their facts
/// (project, organisation, the pipeline's actor, branch) are read by the
/// statements the state change runs anyway, as a JSON column (`pipelineFacts`),
/// so recording them adds no round trip.
enum JobAudit {
    static let scheduled = "workflow.job.scheduled"
    static let start = "workflow.job.start"
    static let finish = "workflow.job.finish"
    static let approve = "workflow.job.approve"

    /// A pipeline's facts as one jsonb value; append `WHERE p.id = <pipeline id>` and wrap in parentheses.
    static let pipelineFacts = """
        SELECT jsonb_build_object('project_id', pr.id, 'slug', pr.slug, 'org_id', o.id, 'org_name', o.name,
                                  'actor_id', p.actor_id, 'actor_login', u.login, 'branch', p.branch)
        FROM pipelines p JOIN projects pr ON pr.slug = p.project_slug
        LEFT JOIN organizations o ON o.id = pr.organization_id LEFT JOIN users u ON u.id = p.actor_id
        """

    /// A job row's facts (in a query over `jobs`): its name, contexts, node and pipeline.
    static let jobFacts = """
        jsonb_build_object('job_name', jobs.name, 'contexts', jobs.contexts, 'node_index', jobs.node_index,
                           'workflow_id', jobs.workflow_id, 'pipeline', (\(pipelineFacts) WHERE p.id = jobs.pipeline_id))::text
        """

    struct Pipeline: Decodable, Sendable {
        var project_id: UUID?
        var slug: String
        var org_id: UUID?
        var org_name: String?
        var actor_id: UUID?
        var actor_login: String?
        var branch: String?

        static func decode(_ text: String?) -> Pipeline? {
            text.flatMap { try? JSONDecoder().decode(Pipeline.self, from: Data($0.utf8)) }
        }

        var actor: AuditEvent.Entity {
            actor_id.map { AuditEvent.Entity.user($0, name: actor_login) } ?? .system
        }

        var target: AuditEvent.Entity {
            project_id.map { AuditEvent.Entity.project($0, slug: slug) } ?? AuditEvent.Entity(id: slug, type: "project", name: slug)
        }

        var scope: AuditEvent.Entity? {
            org_id.map { AuditEvent.Entity.organization($0, name: org_name ?? "") }
        }
    }

    struct Job: Decodable, Sendable {
        var job_name: String
        var contexts: [String]
        var node_index: Int?
        var workflow_id: UUID
        var pipeline: Pipeline

        static func decode(_ text: String?) -> Job? {
            text.flatMap { try? JSONDecoder().decode(Job.self, from: Data($0.utf8)) }
        }
    }

    /// An event about job `id` (the API's job: a parallel job's own row, not a run).
    static func event(_ action: String, job id: UUID, name: String, status: JobStatus, contexts: [String], nodeIndex: Int? = nil,
                      workflow: UUID, pipeline: Pipeline, at: Date = Date(), cause: AuditCause? = nil) -> AuditEvent {
        var job: [String: AuditValue] = [
            "id": .id(id), "job_name": .string(name), "job_status": .string(status.rawValue),
            "contexts": .array(contexts.map { .string($0) }),
        ]
        if let nodeIndex { job["node_index"] = .int(nodeIndex) }
        return AuditEvent(
            action: action, actor: cause?.actor ?? pipeline.actor, target: pipeline.target, scope: pipeline.scope,
            payload: ["job": .object(job),
                      "workflow": ["id": .id(workflow), "vcs_branch": .optional(pipeline.branch)]],
            occurredAt: at, request: cause?.request)
    }

    static func event(_ action: String, job id: UUID, status: JobStatus, facts: Job, at: Date = Date(),
                      cause: AuditCause? = nil, node: Bool = false) -> AuditEvent {
        event(action, job: id, name: facts.job_name, status: status, contexts: facts.contexts,
              nodeIndex: node ? facts.node_index : nil, workflow: facts.workflow_id, pipeline: facts.pipeline, at: at,
              cause: cause)
    }

    /// The facts of some jobs, for the rarer paths (cancel, approval, serial groups, unplaceable jobs).
    static func facts(_ ids: [UUID], on connection: PostgresConnection, logger: Logger) async throws -> [UUID: Job] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await connection.run("""
            SELECT id, \(unescaped: jobFacts) FROM jobs WHERE id = ANY(\(ids))
            """, logger)
        var result: [UUID: Job] = [:]
        for try await (id, text) in rows.decode((UUID, String?).self) { result[id] = Job.decode(text) }
        return result
    }

    /// Finish events for jobs that became final (status by id), e.g. canceled.
    static func finished(_ statuses: [UUID: JobStatus], on connection: PostgresConnection, logger: Logger) async throws
        -> [AuditEvent] {
        let facts = try await facts(Array(statuses.keys), on: connection, logger: logger)
        return statuses.keys.sorted { $0.uuidString < $1.uuidString }.compactMap { id in
            guard let job = facts[id], let status = statuses[id] else { return nil }
            return event(finish, job: id, status: status, facts: job)
        }
    }
}
