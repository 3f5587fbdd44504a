import GyreServiceKit
import GyreStore

/// The contexts service: resolves a job's secret environment (project
/// variables and the variables of the contexts it may use) for the build
/// agent running it, when the job starts. The REST API for contexts and
/// project variables is the frontend's; values are sealed in Postgres.
public enum Contexts {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "contexts", defaultPort: 3011, environment: environment)
        let (database, _) = app.postgres(maxConnections: 4)
        let secrets = app.secretKeys(database: database)
        let api = JobSecretsAPI(resolver: JobSecretsStore(database: database, secrets: secrets),
                                credentials: StorageStore(database: database),
                                internalToken: environment.optionalString("GYRE_INTERNAL_TOKEN"))
        app.routes { router in api.register(on: router) }
        return app
    }
}
