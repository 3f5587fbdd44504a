import Foundation
import GyreProcess

extension DockerWorkspace: JobShell {
    var homeDirectory: String { home }

    var cacheRoot: String { "/" }

    func execute(_ argv: [String], input: String?, stdout: String?,
                 output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        var arguments = ["exec"]
        if input != nil { arguments.append("--interactive") }
        arguments += ["--workdir", workingDirectory]
        if let user = images.first?.user { arguments += ["--user", user] }
        arguments.append(name)
        let command = Redirect.argv([docker.executable] + arguments + argv, input: input, stdout: stdout)
        return try await ProcessRunner().run(command[0], Array(command.dropFirst()), collect: false,
                                             onOutput: output).exitCode
    }
}
