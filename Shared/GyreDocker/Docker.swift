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
    let runner = ProcessRunner()

    public init(executable: String? = nil) throws(DockerError) {
        guard let path = ProcessRunner.locate(executable ?? "docker") else {
            throw DockerError(.notInstalled, "the docker command is not installed")
        }
        self.executable = path
    }

    @discardableResult
    func docker(_ arguments: [String]) async throws -> ProcessRunner.Result {
        let result = try await runner.run(executable, arguments)
        guard result.exitCode == 0 else {
            let text = result.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.contains("Cannot connect to the Docker daemon") || text.contains("Is the docker daemon running") {
                throw DockerError(.daemonUnavailable, "the Docker engine is not reachable: \(text)")
            }
            if text.contains("No such image") || text.contains("pull access denied") || text.contains("not found") {
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

    public struct ContainerSpec: Sendable {
        public var name: String
        public var image: String
        /// `none`, `host`, or `container:<name>` to share another container's network.
        public var network: String
        public var entrypoint: String?
        public var command: [String]
        public var user: String?
        public var environment: [(String, String)]
        public var mounts: [(host: String, container: String)]
        public var labels: [String: String]
        public var workingDirectory: String?

        public init(name: String, image: String, network: String = "none", entrypoint: String? = nil,
                    command: [String] = [], user: String? = nil, environment: [(String, String)] = [],
                    mounts: [(host: String, container: String)] = [], labels: [String: String] = [:],
                    workingDirectory: String? = nil) {
            self.name = name
            self.image = image
            self.network = network
            self.entrypoint = entrypoint
            self.command = command
            self.user = user
            self.environment = environment
            self.mounts = mounts
            self.labels = labels
            self.workingDirectory = workingDirectory
        }
    }

    /// Creates and starts a detached container.
    public func start(_ spec: ContainerSpec) async throws {
        var arguments = ["run", "--detach", "--pull", "never", "--name", spec.name, "--network", spec.network]
        if let entrypoint = spec.entrypoint { arguments += ["--entrypoint", entrypoint] }
        if let user = spec.user { arguments += ["--user", user] }
        if let directory = spec.workingDirectory { arguments += ["--workdir", directory] }
        for (key, value) in spec.environment { arguments += ["--env", "\(key)=\(value)"] }
        for mount in spec.mounts { arguments += ["--volume", "\(mount.host):\(mount.container)"] }
        for (key, value) in spec.labels.sorted(by: { $0.key < $1.key }) { arguments += ["--label", "\(key)=\(value)"] }
        arguments.append(spec.image)
        arguments += spec.command
        do {
            try await docker(arguments)
        } catch let error as DockerError where error.code == .imageMissing {
            throw DockerError(.imageMissing,
                              "image \"\(spec.image)\" is not available on this builder; images are never pulled, build or load it locally first")
        }
    }

    /// Runs a command in a running container, streaming its output; returns its exit code.
    public func exec(container: String, command: [String], environment: [(String, String)], workingDirectory: String?,
                     user: String? = nil, onOutput: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        var arguments = ["exec"]
        if let directory = workingDirectory { arguments += ["--workdir", directory] }
        if let user { arguments += ["--user", user] }
        for (key, value) in environment { arguments += ["--env", "\(key)=\(value)"] }
        arguments.append(container)
        arguments += command
        return try await runner.run(executable, arguments, collect: false, onOutput: onOutput).exitCode
    }

    /// Removes containers, running or not; missing ones are fine.
    public func remove(_ containers: [String]) async {
        guard !containers.isEmpty else { return }
        _ = try? await runner.run(executable, ["rm", "--force", "--volumes"] + containers)
    }

    /// Names of containers carrying a label (for reaping leftovers).
    public func containers(label: String) async throws -> [String] {
        try await docker(["ps", "--all", "--filter", "label=\(label)", "--format", "{{.Names}}"])
            .text.split(separator: "\n").map(String.init)
    }
}
