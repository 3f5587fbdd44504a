import Foundation
import GyreModel
import Logging
import PostgresNIO

/// Resolves the secret environment of one job when it starts (the contexts
/// service, on the agent's behalf): the project's variables and those of
/// the job's contexts, once every context admits the job (`ContextAccess`).
/// The user whose rights count is the approver of the job's nearest
/// upstream approval job, else the user who triggered the pipeline.
public struct JobSecretsStore: Sendable {
    public let database: Database
    public let secrets: SecretKeys?

    public init(database: Database, secrets: SecretKeys?) {
        self.database = database
        self.secrets = secrets
    }

    public enum Resolution: Sendable, Equatable {
        case environment(JobEnvironment)
        /// The job may not use a context (or it does not exist): it ends `unauthorized` with this message.
        case refused(context: String, message: String)
        case unknownJob
    }

    struct JobFacts {
        var project: String
        var projectId: UUID?
        var organizationId: UUID?
        var organization: String?
        var contexts: [String]
        var workflow: UUID
        var name: String
        var actor: UUID?
        var values: [String: ConfigExpression.Value]
        /// A setup pipeline's sealed continuation key, while it waits for its continuation.
        var continuationKey: String?
        var pipeline: UUID
    }

    public func resolve(job: UUID) async throws -> Resolution {
        guard let facts = try await facts(job) else { return .unknownJob }
        let project = try await ProjectEnvVarStore(database: database, secrets: secrets).values(project: facts.project)
            .map { ($0.name, $0.value) }
        var contexts: [(name: String, variables: [(String, String)])] = []
        if !facts.contexts.isEmpty {
            guard let organization = facts.organizationId else {
                return .refused(context: facts.contexts[0], message: "project \(facts.project) belongs to no organisation, "
                                + "so it has no contexts")
            }
            let found = try await contextIds(organization: organization, names: facts.contexts)
            let restrictions = try await restrictions(Array(found.values))
            let user = try await deciding(facts)
            for name in facts.contexts {
                guard let id = found[name] else {
                    return .refused(context: name, message: "context \(name) does not exist in organisation "
                                    + "\(facts.organization ?? "?"); an organisation admin can create it (POST /api/v2/context)")
                }
                let subject = ContextAccess.Subject(project: facts.projectId, user: user?.login, groups: user?.groups ?? [],
                                                    values: facts.values)
                if case .refused(let message) = ContextAccess.decide(context: name, restrictions: restrictions[id] ?? [],
                                                                    subject: subject) {
                    return .refused(context: name, message: message)
                }
                contexts.append((name, try await ContextStore(database: database, secrets: secrets).values(context: id)))
            }
        }
        var environment = JobEnvironment.merge(project: project, contexts: contexts)
        if let sealed = facts.continuationKey {
            let key = try await secrets.required().open(sealed, for: SecretOwner.continuationKey(pipeline: facts.pipeline))
            environment.variables.insert(.init(name: "CIRCLE_CONTINUATION_KEY", value: key, source: "pipeline"), at: 0)
        }
        return .environment(environment)
    }

    func facts(_ job: UUID) async throws -> JobFacts? {
        let rows = try await database.query("""
            SELECT j.project_slug, pr.id, pr.organization_id, o.slug, COALESCE(pj.contexts, j.contexts)::text, j.workflow_id,
                   COALESCE(pj.name, j.name), p.actor_id, p.id, p.number, p.branch, p.tag, p.revision, p.trigger_source,
                   CASE WHEN p.state = 'setup' AND p.continued_at IS NULL THEN p.continuation_key END
            FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
            LEFT JOIN jobs pj ON pj.id = j.parent_id
            LEFT JOIN projects pr ON pr.slug = j.project_slug
            LEFT JOIN organizations o ON o.id = pr.organization_id
            WHERE j.id = \(job)
            """)
        for try await (slug, projectId, orgId, org, contexts, workflow, name, actor, pipelineId, number, branch, tag, revision, source,
                       key)
            in rows.decode((String, UUID?, UUID?, String?, String, UUID, String, UUID?, UUID, Int, String?, String?, String?,
                            String, String?).self) {
            var values: [String: ConfigExpression.Value] = [
                "pipeline.id": .string(pipelineId.uuidString.lowercased()), "pipeline.number": .integer(number),
                "pipeline.project.slug": .string(slug), "pipeline.trigger_source": .string(source),
                "pipeline.git.branch": branch.map { .string($0) } ?? .undefined,
                "pipeline.git.tag": tag.map { .string($0) } ?? .undefined,
                "pipeline.git.revision": revision.map { .string($0) } ?? .undefined,
            ]
            values["pipeline.project.type"] = .string(slug.hasPrefix("bb/") ? "bitbucket" : "github")
            return JobFacts(project: slug, projectId: projectId, organizationId: orgId, organization: org,
                            contexts: try JSON.decode([String].self, contexts), workflow: workflow, name: name, actor: actor,
                            values: values, continuationKey: key, pipeline: pipelineId)
        }
        return nil
    }

    func contextIds(organization: UUID, names: [String]) async throws -> [String: UUID] {
        var result: [String: UUID] = [:]
        for try await (id, name) in try await database.query("""
            SELECT id, name FROM contexts WHERE organization_id = \(organization) AND name = ANY(\(names)::text[])
            """).decode((UUID, String).self) { result[name] = id }
        return result
    }

    func restrictions(_ contexts: [UUID]) async throws -> [UUID: [ContextAccess.Restriction]] {
        guard !contexts.isEmpty else { return [:] }
        var result: [UUID: [ContextAccess.Restriction]] = [:]
        for try await (context, type, value, name) in try await database.query("""
            SELECT r.context_id, r.type, r.value, COALESCE(pr.slug, g.name, r.name)
            FROM context_restrictions r
            LEFT JOIN projects pr ON r.type = 'project' AND pr.id::text = r.value
            LEFT JOIN user_groups g ON r.type = 'group' AND g.id::text = r.value
            WHERE r.context_id = ANY(\(contexts)::uuid[])
            """).decode((UUID, String, String, String).self) {
            guard let type = ContextAccess.RestrictionType(rawValue: type) else { continue }
            result[context, default: []].append(ContextAccess.Restriction(type: type, value: value, name: name))
        }
        return result
    }

    /// The user whose rights decide, with the ids of their groups.
    func deciding(_ facts: JobFacts) async throws -> (login: String, groups: Set<String>)? {
        var jobs: [String: (requires: [String], approvedBy: String?, approvedAt: Date?)] = [:]
        for try await (name, requires, approvedBy, approvedAt) in try await database.query("""
            SELECT name, requires::text, approved_by, approved_at FROM jobs WHERE workflow_id = \(facts.workflow) AND parent_id IS NULL
            """).decode((String, String, String?, Date?).self) {
            jobs[name] = (try JSON.decode([String].self, requires), approvedBy, approvedAt)
        }
        // The nearest approval: of the job's upstream approvals, the one approved last.
        var seen = Set<String>()
        var queue = jobs[facts.name]?.requires ?? []
        var approval: (String, Date)?
        while let next = queue.popLast() {
            guard seen.insert(next).inserted, let entry = jobs[next] else { continue }
            if let by = entry.approvedBy, let at = entry.approvedAt, approval.map({ at > $0.1 }) ?? true { approval = (by, at) }
            queue += entry.requires
        }
        guard let user = approval.flatMap({ UUID(uuidString: $0.0) }) ?? facts.actor else { return nil }
        var login: String?
        for try await name in try await database.query("SELECT login FROM users WHERE id = \(user)").decode(String.self) {
            login = name
        }
        var groups = Set<String>()
        for try await id in try await database.query("""
            SELECT group_id::text FROM user_group_members WHERE user_id = \(user)
            """).decode(String.self) {
            groups.insert(id.lowercased())
        }
        return (login ?? user.uuidString.lowercased(), groups)
    }
}
