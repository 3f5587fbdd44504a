import GyreServiceKit

/// The permissions service. Access rules arrive with authentication; for now it runs, migrates and reports health.
public enum Permissions {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "permissions", defaultPort: 3013, environment: environment)
        _ = app.postgres(maxConnections: 2)

        return app
    }
}
