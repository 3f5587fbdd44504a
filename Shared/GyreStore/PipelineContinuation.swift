import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// `POST /pipeline/continue`: a setup pipeline's one continuation.
extension PipelineStore {
    public enum ContinueOutcome: Sendable, Equatable {
        /// Recorded; the dispatcher compiles the configuration next.
        case accepted(pipeline: UUID)
        /// No pipeline has this key.
        case unknownKey
        /// The pipeline was continued before (a key works once).
        case alreadyContinued(pipeline: UUID)
        /// Every setup workflow has ended: the key is no longer valid.
        case setupEnded(pipeline: UUID)
    }

    /// Records the continuation of the setup pipeline that holds `key`, at most
    /// once, with the message that asks the dispatcher to compile it, in one transaction.
    public func continuePipeline(key: String, configuration: String,
                                 parameters: [String: ParameterValue]) async throws -> ContinueOutcome {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                SELECT id, continued_at IS NOT NULL, state,
                       EXISTS (SELECT 1 FROM workflows w WHERE w.pipeline_id = p.id
                               AND w.status NOT IN ('success', 'failed', 'error', 'canceled', 'unauthorized', 'not_run'))
                FROM pipelines p WHERE continuation_key_hash = \(IdentityStore.hash(key)) FOR UPDATE
                """, logger)
            var found: (UUID, Bool, String, Bool)?
            for try await row in rows.decode((UUID, Bool, String, Bool).self) { found = row }
            guard let (id, continued, state, running) = found else { return .unknownKey }
            if continued || state != PipelineState.setup.rawValue { return .alreadyContinued(pipeline: id) }
            if !running { return .setupEnded(pipeline: id) }
            try await connection.run("""
                UPDATE pipelines SET continued_at = now(), continuation_config = \(configuration),
                       continuation_parameters = \(JSON.encode(parameters))::jsonb, updated_at = now()
                WHERE id = \(id)
                """, logger)
            try await Outbox.add(PipelineContinued(pipelineId: id), routingKey: Topology.RoutingKey.pipelineContinued,
                                 on: connection, logger: logger)
            return .accepted(pipeline: id)
        }
    }
}
