import Foundation
import GyreModel
import Logging
import PostgresNIO

/// Webhook secrets and deliveries. A delivery id is recorded in the same
/// transaction as the pipeline it started, so a redelivery finds that
/// pipeline and starts nothing new.
public struct WebhookStore: Sendable {
    public let database: Database
    /// Webhook secrets are sealed at rest; nil: no key-encryption key, secrets can be neither set nor read.
    public let secrets: SecretKeys?

    public init(database: Database, secrets: SecretKeys?) {
        self.database = database
        self.secrets = secrets
    }

    var logger: Logger { database.logger }

    public enum SecretLookup: Sendable, Equatable {
        case unknownProject
        case noSecret
        case secret(String)
    }

    public func secret(project: ProjectSlug) async throws -> SecretLookup {
        let rows = try await database.query("SELECT webhook_secret FROM projects WHERE slug = \(project.description)")
        for try await secret in rows.decode(String?.self) {
            guard let secret, !secret.isEmpty else { return .noSecret }
            return .secret(try await secrets.required().open(secret, for: SecretOwner.webhookSecret(project: project.description)))
        }
        return .unknownProject
    }

    /// Sets (or with nil, clears) a project's webhook secret; false if the project is not followed.
    @discardableResult
    public func setSecret(project: ProjectSlug, secret plain: String?, change: ProjectSettingsChange? = nil) async throws -> Bool {
        var secret: String?
        if let plain { secret = try await secrets.required().seal(plain, for: SecretOwner.webhookSecret(project: project.description)) }
        return try await database.transaction { connection in
            let rows = try await connection.run("""
                UPDATE projects SET webhook_secret = \(secret) WHERE slug = \(project.description) RETURNING slug
                """, database.logger)
            var found = false
            for try await _ in rows.decode(String.self) { found = true }
            if found { try await change?.record(project: project.description, on: connection, logger: database.logger) }
            return found
        }
    }

    public enum Outcome: Sendable, Equatable {
        /// A new pipeline was created for this delivery.
        case created(UUID)
        /// The delivery was seen before; the pipeline it started (nil if it started none).
        case redelivered(UUID?)
        case unknownProject
    }

    /// Creates the pipeline for a delivery unless that delivery was recorded before.
    public func createPipeline(_ request: PipelineRequest, delivery: String, event: String) async throws -> Outcome {
        try await database.transaction { connection in
            // A concurrent redelivery waits on the primary key until this commits, then conflicts.
            let inserted = try await connection.run("""
                INSERT INTO webhook_deliveries (delivery_id, project_slug, event)
                SELECT \(delivery), slug, \(event) FROM projects WHERE slug = \(request.project.description)
                ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id
                """, logger)
            var isNew = false
            for try await _ in inserted.decode(String.self) { isNew = true }
            if !isNew {
                let earlier = try await connection.run(
                    "SELECT pipeline_id FROM webhook_deliveries WHERE delivery_id = \(delivery)", logger)
                for try await pipeline in earlier.decode(UUID?.self) { return .redelivered(pipeline) }
                return .unknownProject
            }
            guard let id = try await TriggeredPipelines.insert(request, on: connection, logger: logger) else {
                return .unknownProject
            }
            try await connection.run(
                "UPDATE webhook_deliveries SET pipeline_id = \(id) WHERE delivery_id = \(delivery)", logger)
            return .created(id)
        }
    }

    /// Creates a pipeline that no delivery id guards (the v1.1 trigger call); nil if the project is not followed.
    public func createPipeline(_ request: PipelineRequest) async throws -> UUID? {
        try await database.transaction { connection in
            try await TriggeredPipelines.insert(request, on: connection, logger: logger)
        }
    }
}
