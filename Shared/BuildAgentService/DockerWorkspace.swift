import Foundation
import GyreDocker
import GyreModel

/// A job's containers: the primary (first image) that steps run in, and
/// service containers sharing its network namespace (so they are reachable
/// on localhost). No network beyond that: `--network none`.
struct DockerWorkspace: Workspace {
    let docker: Docker
    let images: [DockerImagePlan]
    let name: String
    let hostWorkingDirectory: String
    let workingDirectory: String
    let labels: [String: String]

    init(docker: Docker, images: [DockerImagePlan], name: String, jobDirectory: String, configuredDirectory: String,
         labels: [String: String]) {
        self.docker = docker
        self.images = images
        self.name = name
        self.hostWorkingDirectory = "\(jobDirectory)/project"
        let home = (images.first?.user).map { $0 == "root" ? "/root" : "/home/\($0)" } ?? "/root"
        self.workingDirectory = Self.expand(configuredDirectory, home: home)
        self.labels = labels
    }

    static func expand(_ path: String, home: String) -> String {
        if path == "~" { return home }
        if path.hasPrefix("~/") { return home + path.dropFirst() }
        return path.hasPrefix("/") ? path : "\(home)/\(path)"
    }

    var containerNames: [String] {
        images.indices.map { $0 == 0 ? name : "\(name)-svc\($0)" }
    }

    func prepare(output: @escaping @Sendable ([UInt8]) -> Void) async throws {
        guard let primary = images.first else { throw WorkspaceError(message: "the job names no image") }
        try FileManager.default.createDirectory(atPath: hostWorkingDirectory, withIntermediateDirectories: true)
        output(Array("Starting container \(primary.image)\n".utf8))
        do {
            try await docker.start(Docker.ContainerSpec(
                name: name, image: primary.image, network: "none", entrypoint: "/bin/sh",
                command: ["-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
                user: primary.user, environment: primary.environment.map { ($0.name, $0.value) },
                mounts: [(hostWorkingDirectory, workingDirectory)], labels: labels, workingDirectory: workingDirectory))
            for (index, service) in images.enumerated().dropFirst() {
                output(Array("Starting service container \(service.image)\n".utf8))
                try await docker.start(Docker.ContainerSpec(
                    name: containerNames[index], image: service.image, network: "container:\(name)",
                    entrypoint: service.entrypoint?.first, command: (service.entrypoint.map { Array($0.dropFirst()) } ?? []) + (service.command ?? []),
                    user: service.user, environment: service.environment.map { ($0.name, $0.value) }, labels: labels))
            }
        } catch let error as DockerError {
            throw WorkspaceError(message: error.message)
        }
    }

    func run(command: String, shell: String?, environment: [EnvVar], workingDirectory: String?,
             output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        let directory = workingDirectory.map { Self.expand($0, home: self.workingDirectory) } ?? self.workingDirectory
        return try await docker.exec(
            container: name, command: ShellCommand.argv(shell: shell, command: command),
            environment: environment.map { ($0.name, $0.value) }, workingDirectory: directory, user: images.first?.user,
            onOutput: output)
    }

    func cleanUp() async {
        await docker.remove(containerNames.reversed())
    }
}
