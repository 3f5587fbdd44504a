import GyreProtocol
import GyreServiceKit
import GyreStore

/// The audit-log service: stores the audit events every service records
/// through its outbox (`audit.event`) and writes them, one JSON file per
/// completed period, under `audit-logs/audit_log/v1/` in the storage directory.
/// Admins read the log through the frontend (`/api/gyre/audit-log`).
public enum AuditLog {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "audit-log", defaultPort: 3012, environment: environment)
        let (database, gate) = app.postgres(maxConnections: 4)
        let store = AuditStore(database: database)
        let batch = environment.int("GYRE_AUDIT_BATCH", default: 500, range: 1...5000)
        let consumer = app.amqpConsumer(queues: [app.topology.auditLogEvents], prefetch: UInt16(min(batch * 2, 10_000)))
        let linger = Duration.milliseconds(environment.int("GYRE_AUDIT_LINGER_MS", default: 200, range: 0...10_000))
        app.add(AuditIngest(consumer: consumer, store: store, batchSize: batch, linger: linger, gate: gate,
                            logger: app.logger))
        app.add(AuditFileWriter(store: store, files: AuditFiles(root: environment.storageDirectory),
                                seconds: Int64(environment.int("GYRE_AUDIT_FILE_SECONDS", default: 3600, range: 1...86_400)),
                                gate: gate, logger: app.logger))
        return app
    }
}
