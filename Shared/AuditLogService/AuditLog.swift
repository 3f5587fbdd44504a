import GyreServiceKit

/// The audit-log service. Audit events arrive in the audit-log issue; for now it runs, migrates and reports health.
public enum AuditLog {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "audit-log", defaultPort: 3012, environment: environment)
        _ = app.postgres(maxConnections: 2)

        return app
    }
}
