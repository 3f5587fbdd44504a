import Foundation
import GyreModel
import Logging
import PostgresNIO

public struct ContextRecord: Sendable, Equatable {
    public var id: UUID
    public var organizationId: UUID
    public var organization: String
    public var name: String
    public var createdAt: Date
}

public struct ContextVariableRecord: Sendable, Equatable {
    public var contextId: UUID
    public var name: String
    public var createdAt: Date
    public var updatedAt: Date
}

public struct ContextRestrictionRecord: Sendable, Equatable {
    public var id: UUID
    public var contextId: UUID
    public var type: ContextAccess.RestrictionType
    public var value: String
    public var name: String
}

/// Contexts: an organisation's named sets of secret environment variables,
/// and who may use them (restrictions). Values are sealed with `SecretKeys`
/// (bound to the context and the variable's name) and never listed. Changes
/// are audited with CircleCI's action names, with names and never values.
public struct ContextStore: Sendable {
    public let database: Database
    public let secrets: SecretKeys?

    public init(database: Database, secrets: SecretKeys?) {
        self.database = database
        self.secrets = secrets
    }

    static let columns = "c.id, c.organization_id, o.slug, c.name, c.created_at"

    static func decode(_ rows: PostgresRowSequence) async throws -> [ContextRecord] {
        var result: [ContextRecord] = []
        for try await (id, org, slug, name, created) in rows.decode((UUID, UUID, String, String, Date).self) {
            result.append(ContextRecord(id: id, organizationId: org, organization: slug, name: name, createdAt: created))
        }
        return result
    }

    /// An organisation's contexts by name, paged (`offset`, `limit`).
    public func contexts(organization: UUID, offset: Int, limit: Int) async throws -> [ContextRecord] {
        try await Self.decode(try await database.query("""
            SELECT \(unescaped: Self.columns) FROM contexts c JOIN organizations o ON o.id = c.organization_id
            WHERE c.organization_id = \(organization) ORDER BY c.name, c.id OFFSET \(offset) LIMIT \(limit)
            """))
    }

    public func context(_ id: UUID) async throws -> ContextRecord? {
        try await Self.decode(try await database.query("""
            SELECT \(unescaped: Self.columns) FROM contexts c JOIN organizations o ON o.id = c.organization_id WHERE c.id = \(id)
            """)).first
    }

    public enum Created: Sendable, Equatable {
        case created(ContextRecord)
        case exists
    }

    public func create(organization: UUID, name: String, cause: AuditCause) async throws -> Created {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                WITH inserted AS (
                    INSERT INTO contexts (id, organization_id, name) VALUES (\(UUID()), \(organization), \(name))
                    ON CONFLICT (organization_id, name) DO NOTHING RETURNING *
                )
                SELECT \(unescaped: Self.columns) FROM inserted c JOIN organizations o ON o.id = c.organization_id
                """, database.logger)
            guard let record = try await Self.decode(rows).first else { return .exists }
            try await Self.audit("context.create", context: record, payload: [:], cause: cause, on: connection, logger: database.logger)
            return .created(record)
        }
    }

    /// Deletes a context with its variables and restrictions; false if there was none.
    public func delete(_ id: UUID, cause: AuditCause) async throws -> Bool {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                WITH deleted AS (DELETE FROM contexts WHERE id = \(id) RETURNING *)
                SELECT \(unescaped: Self.columns) FROM deleted c JOIN organizations o ON o.id = c.organization_id
                """, database.logger)
            guard let record = try await Self.decode(rows).first else { return false }
            try await Self.audit("context.delete", context: record, payload: [:], cause: cause, on: connection, logger: database.logger)
            return true
        }
    }

    /// A project by its id or slug (for project restrictions).
    public func project(idOrSlug: String) async throws -> (id: UUID, slug: String, organization: UUID?)? {
        let id = UUID(uuidString: idOrSlug)
        for try await row in try await database.query("""
            SELECT id, slug, organization_id FROM projects WHERE id IS NOT NULL AND (id = \(id) OR slug = \(idOrSlug))
            """).decode((UUID, String, UUID?).self) { return row }
        return nil
    }

    // MARK: variables

    public func variables(context: UUID, offset: Int, limit: Int) async throws -> [ContextVariableRecord] {
        let rows = try await database.query("""
            SELECT context_id, name, created_at, updated_at FROM context_env_vars WHERE context_id = \(context)
            ORDER BY name OFFSET \(offset) LIMIT \(limit)
            """)
        var result: [ContextVariableRecord] = []
        for try await (id, name, created, updated) in rows.decode((UUID, String, Date, Date).self) {
            result.append(ContextVariableRecord(contextId: id, name: name, createdAt: created, updatedAt: updated))
        }
        return result
    }

    /// The variables with their values opened, by name (for a starting job).
    public func values(context: UUID) async throws -> [(String, String)] {
        var sealed: [(String, String)] = []
        for try await row in try await database.query("""
            SELECT name, value FROM context_env_vars WHERE context_id = \(context) ORDER BY name
            """).decode((String, String).self) { sealed.append(row) }
        var result: [(String, String)] = []
        for (name, value) in sealed {
            result.append((name, try await secrets.required().open(value, for: SecretOwner.contextVariable(context: context, name: name))))
        }
        return result
    }

    /// Adds or replaces a variable (sealed for this context and name); nil if the context does not exist.
    public func store(context: ContextRecord, name: String, value: String, cause: AuditCause) async throws -> ContextVariableRecord? {
        let sealed = try await secrets.required().seal(value, for: SecretOwner.contextVariable(context: context.id, name: name))
        return try await database.transaction { connection in
            let rows = try await connection.run("""
                INSERT INTO context_env_vars (context_id, name, value)
                SELECT id, \(name), \(sealed) FROM contexts WHERE id = \(context.id)
                ON CONFLICT (context_id, name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()
                RETURNING context_id, name, created_at, updated_at
                """, database.logger)
            var stored: ContextVariableRecord?
            for try await (id, name, created, updated) in rows.decode((UUID, String, Date, Date).self) {
                stored = ContextVariableRecord(contextId: id, name: name, createdAt: created, updatedAt: updated)
            }
            if stored != nil {
                try await Self.audit("context.env_var.store", context: context, payload: ["env_var_name": .string(name)],
                                     cause: cause, on: connection, logger: database.logger)
            }
            return stored
        }
    }

    public func deleteVariable(context: ContextRecord, name: String, cause: AuditCause) async throws -> Bool {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                DELETE FROM context_env_vars WHERE context_id = \(context.id) AND name = \(name) RETURNING name
                """, database.logger)
            var deleted = false
            for try await _ in rows.decode(String.self) { deleted = true }
            if deleted {
                try await Self.audit("context.env_var.delete", context: context, payload: ["env_var_name": .string(name)],
                                     cause: cause, on: connection, logger: database.logger)
            }
            return deleted
        }
    }

    // MARK: restrictions

    public func restrictions(context: UUID) async throws -> [ContextRestrictionRecord] {
        let rows = try await database.query("""
            SELECT id, context_id, type, value, name FROM context_restrictions WHERE context_id = \(context)
            ORDER BY created_at, id
            """)
        var result: [ContextRestrictionRecord] = []
        for try await (id, context, type, value, name) in rows.decode((UUID, UUID, String, String, String).self) {
            guard let type = ContextAccess.RestrictionType(rawValue: type) else { continue }
            result.append(ContextRestrictionRecord(id: id, contextId: context, type: type, value: value, name: name))
        }
        return result
    }

    /// Adds a restriction; nil if the same one exists.
    public func restrict(context: ContextRecord, type: ContextAccess.RestrictionType, value: String, name: String,
                         cause: AuditCause) async throws -> ContextRestrictionRecord? {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                INSERT INTO context_restrictions (id, context_id, type, value, name)
                VALUES (\(UUID()), \(context.id), \(type.rawValue), \(value), \(name))
                ON CONFLICT (context_id, type, value) DO NOTHING RETURNING id
                """, database.logger)
            var id: UUID?
            for try await found in rows.decode(UUID.self) { id = found }
            guard let id else { return nil }
            try await Self.audit("context.restriction.create", context: context,
                                 payload: ["restriction_type": .string(type.rawValue), "restriction_value": .string(value)],
                                 cause: cause, on: connection, logger: database.logger)
            return ContextRestrictionRecord(id: id, contextId: context.id, type: type, value: value, name: name)
        }
    }

    public func unrestrict(context: ContextRecord, restriction: UUID, cause: AuditCause) async throws -> Bool {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                DELETE FROM context_restrictions WHERE id = \(restriction) AND context_id = \(context.id) RETURNING type, value
                """, database.logger)
            var deleted: (String, String)?
            for try await row in rows.decode((String, String).self) { deleted = row }
            guard let (type, value) = deleted else { return false }
            try await Self.audit("context.restriction.delete", context: context,
                                 payload: ["restriction_type": .string(type), "restriction_value": .string(value)],
                                 cause: cause, on: connection, logger: database.logger)
            return true
        }
    }

    static func audit(_ action: String, context: ContextRecord, payload: [String: AuditValue], cause: AuditCause,
                      on connection: PostgresConnection, logger: Logger) async throws {
        var payload = payload
        payload["context_name"] = .string(context.name)
        try await AuditEvents.record(AuditEvent(
            action: action, actor: cause.actor, target: AuditEvent.Entity(id: context.id, type: "context", name: context.name),
            scope: .organization(context.organizationId, name: context.organization), payload: payload, request: cause.request),
            on: connection, logger: logger)
    }
}

extension SecretOwner {
    public static func contextVariable(context: UUID, name: String) -> String {
        "context-env-var|\(context.uuidString.lowercased())|\(name)"
    }

    public static func projectVariable(project: String, name: String) -> String { "project-env-var|\(project)|\(name)" }

    public static func continuationKey(pipeline: UUID) -> String { "continuation-key|\(pipeline.uuidString.lowercased())" }
}
