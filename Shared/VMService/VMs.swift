import GyreDocker
import GyreServiceKit

/// The vm-service service. Machine executor VMs and remote Docker arrive later; for now it runs and reports health, including the Docker engine's.
public enum VMs {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "vm-service", defaultPort: 3001, environment: environment)
        _ = app.postgres(maxConnections: 2)
        if let docker = try? Docker() {
            app.health.add("docker") { try await docker.ping() }
        } else {
            app.environment.problem("docker: the docker command is not installed")
        }
        return app
    }
}
