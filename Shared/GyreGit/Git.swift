import Foundation
import GyreProcess

/// A git failure with git's own message.
public struct GitError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable { case notInstalled, commandFailed, unknownRevision, fileMissing }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The git operations Gyre needs, through the `git` command.
public struct Git: Sendable {
    let executable: String
    let runner = ProcessRunner()

    public init(executable: String? = nil) throws(GitError) {
        guard let path = ProcessRunner.locate(executable ?? "git") else {
            throw GitError(.notInstalled, "git is not installed (looked for \(executable ?? "git") on PATH)")
        }
        self.executable = path
    }

    static let quietEnvironment: [String: String] = {
        var env = ProcessInfo.processInfo.environment
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GIT_ASKPASS"] = "/bin/true"
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes -o StrictHostKeyChecking=accept-new"
        // Git only works in directories it trusts. A job's checkout belongs to the
        // job's user (uid 3434 in cimg images), not to the agent: trust the
        // directories Gyre itself made (command-line config, which git honours).
        env["GIT_CONFIG_COUNT"] = "1"
        env["GIT_CONFIG_KEY_0"] = "safe.directory"
        env["GIT_CONFIG_VALUE_0"] = "*"
        return env
    }()

    @discardableResult
    func git(_ arguments: [String], in directory: String? = nil,
             onOutput: (@Sendable ([UInt8]) -> Void)? = nil) async throws -> ProcessRunner.Result {
        let result = try await runner.run(executable, arguments, environment: Self.quietEnvironment,
                                          directory: directory, onOutput: onOutput)
        guard result.exitCode == 0 else {
            let text = result.text.trimmingCharacters(in: .whitespacesAndNewlines)
            throw GitError(.commandFailed, "git \(arguments.first ?? "") failed: \(text)")
        }
        return result
    }
}
