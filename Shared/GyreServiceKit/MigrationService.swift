import GyreStore
import Logging
import ServiceLifecycle

/// Applies the schema at start, retrying until Postgres answers, then opens
/// the gate the consumers wait on. Stays idle afterwards.
public struct MigrationService: Service {
    let database: Database
    let gate: StartupGate
    let logger: Logger

    public init(database: Database, gate: StartupGate, logger: Logger) {
        self.database = database
        self.gate = gate
        self.logger = logger
    }

    public func run() async throws {
        var delay = Duration.milliseconds(100)
        while !Task.isCancelled {
            do {
                try await Migrations.migrate(database)
                gate.open()
                logger.info("schema is up to date")
                break
            } catch {
                logger.warning("cannot apply the schema yet; retrying", metadata: ["error": "\(StoreError.reason(error))", "retry_in": "\(delay)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
        try? await gracefulShutdown()
    }
}
