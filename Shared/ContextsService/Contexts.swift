import GyreServiceKit

/// The contexts service. Encrypted secrets arrive in the contexts issue; for now it runs, migrates and reports health like every service.
public enum Contexts {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "contexts", defaultPort: 3011, environment: environment)
        _ = app.postgres(maxConnections: 2)

        return app
    }
}
