import Foundation
import GyreModel
import Logging
import PostgresNIO

public struct ProjectVariableRecord: Sendable, Equatable {
    public var name: String
    /// `xxxx` and the last four characters (see `EnvironmentVariableName.masked`); never the value.
    public var masked: String
    public var createdAt: Date
}

/// A project's environment variables (project settings). Values are sealed
/// with `SecretKeys`, bound to the project and the name; listings show a
/// masked form only. Audited as `project.env_var.create` / `.delete`.
public struct ProjectEnvVarStore: Sendable {
    public let database: Database
    public let secrets: SecretKeys?

    public init(database: Database, secrets: SecretKeys?) {
        self.database = database
        self.secrets = secrets
    }

    public func variables(project: ProjectSlug, name: String? = nil) async throws -> [ProjectVariableRecord] {
        try await values(project: project.description, name: name).map {
            ProjectVariableRecord(name: $0.name, masked: EnvironmentVariableName.masked($0.value), createdAt: $0.createdAt)
        }
    }

    /// The variables with their values opened, by name (for a starting job, and masked for listings).
    public func values(project: String, name: String? = nil) async throws -> [(name: String, value: String, createdAt: Date)] {
        let rows = try await database.query("""
            SELECT name, value, created_at FROM project_env_vars
            WHERE project_slug = \(project) AND (\(name)::text IS NULL OR name = \(name)) ORDER BY name
            """)
        var sealed: [(String, String, Date)] = []
        for try await row in rows.decode((String, String, Date).self) { sealed.append(row) }
        var result: [(name: String, value: String, createdAt: Date)] = []
        for (name, value, created) in sealed {
            result.append((name, try await secrets.required().open(value, for: SecretOwner.projectVariable(project: project, name: name)),
                           created))
        }
        return result
    }

    /// Adds or replaces a variable; nil if the project is not followed.
    public func store(project: ProjectSlug, name: String, value: String, cause: AuditCause) async throws -> ProjectVariableRecord? {
        let sealed = try await secrets.required().seal(value, for: SecretOwner.projectVariable(project: project.description, name: name))
        return try await database.transaction { connection in
            let rows = try await connection.run("""
                INSERT INTO project_env_vars (project_slug, name, value)
                SELECT slug, \(name), \(sealed) FROM projects WHERE slug = \(project.description)
                ON CONFLICT (project_slug, name) DO UPDATE SET value = EXCLUDED.value, created_at = now()
                RETURNING created_at
                """, database.logger)
            var created: Date?
            for try await date in rows.decode(Date.self) { created = date }
            guard let created else { return nil }
            try await Self.audit("project.env_var.create", project: project, name: name, cause: cause, on: connection,
                                 logger: database.logger)
            return ProjectVariableRecord(name: name, masked: EnvironmentVariableName.masked(value), createdAt: created)
        }
    }

    public func delete(project: ProjectSlug, name: String, cause: AuditCause) async throws -> Bool {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                DELETE FROM project_env_vars WHERE project_slug = \(project.description) AND name = \(name) RETURNING name
                """, database.logger)
            var deleted = false
            for try await _ in rows.decode(String.self) { deleted = true }
            if deleted {
                try await Self.audit("project.env_var.delete", project: project, name: name, cause: cause, on: connection,
                                     logger: database.logger)
            }
            return deleted
        }
    }

    static func audit(_ action: String, project: ProjectSlug, name: String, cause: AuditCause,
                      on connection: PostgresConnection, logger: Logger) async throws {
        let (target, scope) = try await AuditEvents.project(project.description, on: connection, logger: logger)
        try await AuditEvents.record(AuditEvent(
            action: action, actor: cause.actor, target: target, scope: scope, payload: ["env_var_name": .string(name)],
            request: cause.request), on: connection, logger: logger)
    }
}
