import GyreServiceKit
import GyreStore

/// The permissions service: the one place that answers "may this user do this
/// on that project or organisation". It loads the facts (installation admin,
/// organisation role, project role) from Postgres, decides with `Access`
/// (GyreModel) and caches the decision in Redis for every replica of every
/// service; a change of roles invalidates the cache (`AccessCache`).
public enum Permissions {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "permissions", defaultPort: 3013, environment: environment)
        let (database, _) = app.postgres(maxConnections: 4)
        let api = DecisionAPI(roles: RoleStore(database: database),
                              cache: AccessCache(redis: app.redis(), namespace: environment.namespace),
                              internalToken: environment.optionalString("GYRE_INTERNAL_TOKEN"))
        if api.internalToken == nil {
            app.logger.warning("GYRE_INTERNAL_TOKEN is not set: the decision API answers any caller that reaches it")
        }
        app.routes { router in api.register(on: router) }
        return app
    }
}
