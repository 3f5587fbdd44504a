import Foundation
import GyreProcess

extension HostWorkspace: JobShell {
    /// On a host runner `~` is the job's own directory.
    var homeDirectory: String { jobDirectory }

    var cacheRoot: String { jobDirectory }

    func execute(_ argv: [String], input: String?, stdout: String?,
                 output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        try? FileManager.default.createDirectory(atPath: hostWorkingDirectory, withIntermediateDirectories: true)
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GYRE_") }
        let command = Redirect.argv(argv, input: input, stdout: stdout)
        return try await ProcessRunner().run(command[0], Array(command.dropFirst()), environment: environment,
                                             directory: hostWorkingDirectory, collect: false, onOutput: output).exitCode
    }
}
