import Foundation
import GyreDocker
import GyreProtocol
import Logging
import ServiceLifecycle

/// Removes this builder's containers (and volumes) that belong to no job it
/// runs: leftovers of a crash of an earlier agent on the same builder, or of
/// a cleanup that failed. Runs at start, then every `interval`. Only the
/// `gyre.builder` label of this builder is ever considered, so other builders
/// sharing the engine keep theirs.
struct Reaper: Service {
    let docker: Docker
    let builder: String
    let state: AgentState
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await reap()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    func reap() async {
        let selector = ["\(DockerSettings.builderLabel)=\(builder)"]
        do {
            // Containers are created after their job is registered as running, so a job
            // missing from this set has no container being created now.
            let running = state.runningAttempts
            let containers = try await docker.containers(
                labeled: selector, keys: [DockerSettings.jobLabel, DockerSettings.attemptLabel])
            let orphans = containers.filter { container in
                guard let job = container.labels[DockerSettings.jobLabel].flatMap(UUID.init(uuidString:)),
                      let attempt = container.labels[DockerSettings.attemptLabel].flatMap(Int.init) else { return true }
                return !running.contains(JobAttempt(jobId: job, attempt: attempt))
            }.map(\.name)
            if !orphans.isEmpty {
                logger.info("removing leftover containers", metadata: ["containers": "\(orphans.joined(separator: ","))"])
                await docker.remove(orphans)
            }
            let volumes = try await docker.volumes(labels: selector)
            if running.isEmpty && !volumes.isEmpty {
                await docker.removeVolumes(volumes)
            }
        } catch {
            logger.warning("cannot list leftover containers", metadata: ["error": "\(error)"])
        }
    }
}
