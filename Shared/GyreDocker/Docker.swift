import Foundation
import GyreProcess

public struct DockerError: Error, Sendable, CustomStringConvertible {
    public enum Code: Sendable { case notInstalled, daemonUnavailable, imageMissing, commandFailed }
    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// The Docker engine, through the `docker` command. Nothing is ever pulled:
/// images must exist locally.
public struct Docker: Sendable {
    public let executable: String
    /// Where short-lived owner-only files (env files) are written.
    public let scratchDirectory: String
    let runner = ProcessRunner()

    public init(executable: String? = nil, scratchDirectory: String? = nil) throws(DockerError) {
        guard let path = ProcessRunner.locate(executable ?? "docker") else {
            throw DockerError(.notInstalled, "the docker command is not installed")
        }
        self.executable = path
        self.scratchDirectory = scratchDirectory ?? NSTemporaryDirectory() + "gyre-docker-\(getuid())"
    }

    @discardableResult
    func docker(_ arguments: [String], environment: [String: String]? = nil) async throws -> ProcessRunner.Result {
        let result = try await runner.run(executable, arguments, environment: environment)
        guard result.exitCode == 0 else {
            let text = result.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.contains("Cannot connect to the Docker daemon") || text.contains("Is the docker daemon running") {
                throw DockerError(.daemonUnavailable, "the Docker engine is not reachable: \(text)")
            }
            if text.contains("No such image") || text.contains("pull access denied") {
                throw DockerError(.imageMissing, text)
            }
            throw DockerError(.commandFailed, "docker \(arguments.first ?? "") failed: \(text)")
        }
        return result
    }

    /// Fails unless the engine answers (for health checks).
    public func ping() async throws {
        try await docker(["version", "--format", "{{.Server.Version}}"])
    }

    public func imageExists(_ image: String) async -> Bool {
        (try? await docker(["image", "inspect", "--format", "{{.Id}}", image])) != nil
    }

    /// The engine's CPU count (`docker run --cpus` refuses more than this).
    public func cpuCount() async throws -> Int {
        let text = try await docker(["info", "--format", "{{.NCPU}}"]).text
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? ProcessInfo.processInfo.activeProcessorCount
    }

    /// Creates and starts a detached container.
    public func start(_ spec: ContainerSpec) async throws {
        let secrets = try SecretEnvironment(spec.environment, scratchDirectory: scratchDirectory)
        defer { secrets.remove() }
        do {
            try await docker(spec.runArguments(environment: secrets.arguments), environment: secrets.clientEnvironment)
        } catch let error as DockerError where error.code == .imageMissing {
            throw DockerError(.imageMissing, Self.missingImageMessage(spec.image))
        }
    }

    public static func missingImageMessage(_ image: String) -> String {
        "image \(image) is not available on this builder (images are never pulled; load it with docker load/import)"
    }

    /// Runs a command in a running container, streaming its output; returns its exit code.
    /// Cancelling the calling task kills the `docker exec` client (not the process in the container).
    public func exec(container: String, command: [String], environment: [(String, String)], workingDirectory: String?,
                     user: String? = nil, onOutput: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        var arguments = ["exec"]
        if let directory = workingDirectory { arguments += ["--workdir", directory] }
        if let user { arguments += ["--user", user] }
        let secrets = try SecretEnvironment(environment, scratchDirectory: scratchDirectory)
        defer { secrets.remove() }
        arguments += secrets.arguments
        arguments.append(container)
        arguments += command
        return try await runner.run(executable, arguments, environment: secrets.clientEnvironment, collect: false,
                                    onOutput: onOutput).exitCode
    }

    /// Starts a command in a running container and returns without waiting for it.
    public func execDetached(container: String, command: [String], user: String?) async throws {
        var arguments = ["exec", "--detach"]
        if let user { arguments += ["--user", user] }
        try await docker(arguments + [container] + command)
    }

    /// The user an image runs as (`USER`, empty for root) and its `HOME`
    /// (from the image's environment, when it sets one); nil when the image is missing.
    public func imageUser(_ image: String) async -> (user: String, home: String?)? {
        guard let text = try? await docker(["image", "inspect", "--format", "{{json .Config.User}} {{json .Config.Env}}",
                                            image]).text else { return nil }
        let parts = text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ", maxSplits: 1).map(String.init)
        let user = parts.first.flatMap { try? JSONDecoder().decode(String.self, from: Data($0.utf8)) } ?? ""
        let env = parts.count > 1 ? ((try? JSONDecoder().decode([String]?.self, from: Data(parts[1].utf8))) ?? nil) ?? [] : []
        let home = env.first { $0.hasPrefix("HOME=") }.map { String($0.dropFirst("HOME=".count)) }
        return (user, home)
    }

    /// The image's `ENTRYPOINT` (empty when it has none).
    public func entrypoint(of image: String) async throws -> [String] {
        let text = try await docker(["image", "inspect", "--format", "{{json .Config.Entrypoint}}", image]).text
        // `null` when the image has none; `try?` flattens that to nil.
        return (try? JSONDecoder().decode([String]?.self, from: Data(text.utf8))) ?? []
    }

    /// Removes containers, running or not, with their anonymous volumes; missing ones are fine.
    public func remove(_ containers: [String]) async {
        guard !containers.isEmpty else { return }
        _ = try? await runner.run(executable, ["rm", "--force", "--volumes"] + containers)
    }

    /// Removes volumes; missing or in-use ones are left.
    public func removeVolumes(_ volumes: [String]) async {
        guard !volumes.isEmpty else { return }
        _ = try? await runner.run(executable, ["volume", "rm", "--force"] + volumes)
    }

    /// Names of containers carrying every one of `labels` (`key=value`).
    public func containers(labels: [String]) async throws -> [String] {
        try await docker(["ps", "--all", "--format", "{{.Names}}"] + labels.flatMap { ["--filter", "label=\($0)"] })
            .text.split(separator: "\n").map(String.init)
    }

    /// Names of volumes carrying every one of `labels` (`key=value`).
    public func volumes(labels: [String]) async throws -> [String] {
        try await docker(["volume", "ls", "--quiet"] + labels.flatMap { ["--filter", "label=\($0)"] })
            .text.split(separator: "\n").map(String.init)
    }

    /// Containers carrying every one of `labels` (`key=value`), with the values of the labels `keys`.
    public func containers(labeled labels: [String], keys: [String]) async throws -> [(name: String, labels: [String: String])] {
        let format = (["{{.Names}}"] + keys.map { "{{.Label \"\($0)\"}}" }).joined(separator: "\t")
        return try await docker(["ps", "--all", "--format", format] + labels.flatMap { ["--filter", "label=\($0)"] })
            .text.split(separator: "\n").map { line in
                let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                var values: [String: String] = [:]
                for (index, key) in keys.enumerated() where index + 1 < parts.count && !parts[index + 1].isEmpty {
                    values[key] = parts[index + 1]
                }
                return (parts[0], values)
            }
    }

    /// A container's state: nil while it runs, else its exit code (for service containers that stopped).
    public func exitCode(of container: String) async throws -> Int? {
        let text = try await docker(["inspect", "--format", "{{.State.Running}} {{.State.ExitCode}}", container])
            .text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = text.split(separator: " ")
        guard parts.count == 2, parts[0] == "false" else { return nil }
        return Int(parts[1])
    }

    /// The last lines of a container's output.
    public func logs(of container: String, lines: Int = 50) async -> String {
        (try? await runner.run(executable, ["logs", "--tail", String(lines), container]).text) ?? ""
    }
}
