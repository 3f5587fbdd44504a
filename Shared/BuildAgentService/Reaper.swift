import Foundation
import GyreDocker
import GyreProtocol
import Logging
import ServiceLifecycle

/// Removes what this builder left behind for attempts it no longer runs:
/// containers and volumes (leftovers of a crash of an earlier agent on the
/// same builder, or of a cleanup that failed) and job directories (a killed
/// agent's attempts, or attempts that lost their lease). Runs at start, then
/// every `interval`. Only this builder's containers (`gyre.builder` label) and
/// its own jobs directory are ever considered, so other builders sharing the
/// engine or the work directory keep theirs.
struct Reaper: Service {
    let docker: Docker?
    let builder: String
    let jobsDirectory: String
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
        reapDirectories()
        if let docker { await reapContainers(docker) }
    }

    /// The directory name of an attempt's job directory.
    static func directoryName(_ attempt: JobAttempt) -> String {
        "\(attempt.jobId.uuidString.lowercased())-\(attempt.attempt)"
    }

    /// Job directories of attempts this session does not run. A directory is
    /// created only after its attempt is registered as running, so one missing
    /// from the set is not being set up now.
    func reapDirectories() {
        let running = Set(state.runningAttempts.map(Self.directoryName))
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: jobsDirectory) else { return }
        let leftovers = names.filter { !running.contains($0) }
        guard !leftovers.isEmpty else { return }
        logger.info("removing job directories of attempts this agent no longer runs",
                    metadata: ["directories": "\(leftovers.count)"])
        for name in leftovers {
            let path = "\(jobsDirectory)/\(name)"
            do {
                try FileManager.default.removeItem(atPath: path)
            } catch {
                logger.warning("cannot remove a job directory", metadata: ["path": "\(path)", "error": "\(error)"])
            }
        }
    }

    func reapContainers(_ docker: Docker) async {
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
