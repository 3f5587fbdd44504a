import Foundation
import GyreModel
import GyreProcess

/// A self-hosted machine runner: steps run as processes on the agent's host,
/// in a directory of the job's own (`~` in the config means that directory).
struct HostWorkspace: Workspace {
    let jobDirectory: String
    let hostWorkingDirectory: String
    let runner = ProcessRunner()

    init(jobDirectory: String, configuredDirectory: String) {
        self.jobDirectory = jobDirectory
        self.hostWorkingDirectory = DockerWorkspace.expand(configuredDirectory, home: jobDirectory)
    }

    var workingDirectory: String { hostWorkingDirectory }

    var agentDirectory: (host: String, job: String) { ("\(jobDirectory)/agent", "\(jobDirectory)/agent") }

    func prepare(output: @escaping @Sendable ([UInt8]) -> Void) async throws {
        do {
            try FileManager.default.createDirectory(atPath: hostWorkingDirectory, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: agentDirectory.host, withIntermediateDirectories: true)
        } catch {
            throw WorkspaceError(message: "cannot create \(hostWorkingDirectory): \(error.localizedDescription)")
        }
        output(Array("Running on the runner host in \(hostWorkingDirectory)\n".utf8))
    }

    func run(command: String, shell: String?, environment: [EnvVar], workingDirectory: String?,
             output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        let directory = workingDirectory.map { DockerWorkspace.expand($0, home: hostWorkingDirectory) } ?? hostWorkingDirectory
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GYRE_") }
        for variable in environment { env[variable.name] = variable.value }
        let argv = ShellCommand.argv(shell: shell, command: command)
        return try await runner.run(argv[0], Array(argv.dropFirst()), environment: env, directory: directory,
                                    collect: false, onOutput: output).exitCode
    }

    func cleanUp() async {
        try? FileManager.default.removeItem(atPath: jobDirectory)
    }
}
