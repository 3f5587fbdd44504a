import Foundation
import GyreModel

/// Where a job's steps run: a Docker container or the agent's host.
protocol Workspace: Sendable {
    /// Sets the environment up ("Spin up environment"), writing progress to `output`.
    func prepare(output: @escaping @Sendable ([UInt8]) -> Void) async throws
    /// The host directory that appears as the job's working directory.
    var hostWorkingDirectory: String { get }
    /// The working directory as the steps see it.
    var workingDirectory: String { get }
    /// The directory the in-job `circleci` command talks to the agent
    /// through (`circleci step halt` leaves a marker there): the host path
    /// the agent reads, and the path the steps see (`CIRCLE_INTERNAL_AGENT_DIR`).
    var agentDirectory: (host: String, job: String) { get }
    /// Runs a shell command; returns its exit code.
    func run(command: String, shell: String?, environment: [EnvVar], workingDirectory: String?,
             output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32
    /// Removes everything the job created; called however the job ended.
    func cleanUp() async
    /// Hands files the agent wrote on the host (a checkout) to the user the steps run as.
    func adopt(_ hostPath: String) async
}

extension Workspace {
    func adopt(_ hostPath: String) async {}
}

/// A failure to set the environment up, with a message for the job's page.
struct WorkspaceError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

enum ShellCommand {
    /// The argv that runs `command`: the configured shell, else bash with
    /// `-eo pipefail`, falling back to `sh -e` where bash is missing.
    static func argv(shell: String?, command: String) -> [String] {
        if let shell, !shell.isEmpty {
            return shell.split(separator: " ").map(String.init) + ["-c", command]
        }
        let fallback = #"if [ -x /bin/bash ]; then exec /bin/bash -eo pipefail -c "$1"; else exec /bin/sh -e -c "$1"; fi"#
        return ["/bin/sh", "-c", fallback, "gyre-step", command]
    }
}
