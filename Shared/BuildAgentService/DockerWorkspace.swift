import Foundation
import GyreDocker
import GyreModel
import GyreProcess
import Synchronization

/// A job's containers: the primary (first image) that steps run in, and
/// service containers sharing its network namespace (so they are reachable
/// on localhost, and by their `name` through the primary's /etc/hosts). The
/// primary joins the builder's job network (`DockerSettings.jobNetwork`:
/// `none` by default, `host`, or a named Docker network).
struct DockerWorkspace: Workspace {
    let docker: Docker
    let images: [DockerImagePlan]
    let name: String
    let hostWorkingDirectory: String
    let workingDirectory: String
    let labels: [String: String]
    let resourceClass: String
    let settings: DockerSettings
    let hostAgentDirectory: String

    /// Where the agent directory is mounted in the primary container.
    static let agentMount = "/.circleci-agent"

    var agentDirectory: (host: String, job: String) { (hostAgentDirectory, Self.agentMount) }

    /// `uid:gid` of the user the steps run as, once the primary started (nil for root).
    let owner = Owner()
    /// The agent's API socket for a setup job (mounted at `JobAPIProxy.containerPath`).
    let apiSocket: String?
    /// The user the steps run as: the config's `user:`, else the image's `USER` ("" = root).
    let effectiveUser: String
    /// `~` in the job: the image's `HOME` for its own user, else the user's home directory.
    let home: String

    init(docker: Docker, images: [DockerImagePlan], name: String, jobDirectory: String, configuredDirectory: String,
         labels: [String: String], resourceClass: String = "medium", settings: DockerSettings = DockerSettings(),
         imageUser: (user: String, home: String?)? = nil, apiSocket: String? = nil) {
        self.apiSocket = apiSocket
        self.docker = docker
        self.images = images
        self.name = name
        self.hostWorkingDirectory = "\(jobDirectory)/project"
        self.hostAgentDirectory = "\(jobDirectory)/agent"
        if let configured = images.first?.user {
            effectiveUser = configured
            home = Self.home(of: configured)
        } else {
            effectiveUser = imageUser?.user ?? ""
            home = imageUser?.home ?? Self.home(of: effectiveUser)
        }
        self.workingDirectory = Self.expand(configuredDirectory, home: home)
        self.labels = labels
        self.resourceClass = resourceClass
        self.settings = settings
    }

    /// Whether `user` (`name`, `uid`, `name:group`, "" for the image default of root) is root.
    static func isRoot(_ user: String) -> Bool {
        let name = user.split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
        return name.isEmpty || name == "root" || name == "0"
    }

    /// The conventional home directory of `user`.
    static func home(of user: String) -> String {
        isRoot(user) ? "/root" : "/home/\(user.split(separator: ":", maxSplits: 1).first.map(String.init) ?? user)"
    }

    /// Collects a command's output.
    final class ProcessOutput: Sendable {
        private let bytes = Mutex<[UInt8]>([])
        var text: String { String(decoding: bytes.withLock { $0 }, as: UTF8.self) }
        @Sendable func append(_ chunk: [UInt8]) { bytes.withLock { $0 += chunk } }
    }

    /// The steps' user, learnt once the primary runs.
    final class Owner: Sendable {
        private let value = Mutex<String?>(nil)
        var ids: String? { value.withLock { $0 } }
        func set(_ ids: String) { value.withLock { $0 = ids } }
    }

    /// Gives `hostPath` (recursively) to the steps' user when that is not root,
    /// so a job of an image like cimg/* can write its working directory.
    func adopt(_ hostPath: String) async {
        guard let ids = owner.ids else { return }
        _ = try? await ProcessRunner().run("/bin/chown", ["-R", ids, hostPath])
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
        let limits = try ResourceClass.named(resourceClass)
        var missing: [String] = []
        for image in images.map(\.image) where !missing.contains(image) {
            if !(await docker.imageExists(image)) { missing.append(image) }
        }
        guard missing.isEmpty else {
            throw WorkspaceError(message: missing.map(Docker.missingImageMessage).joined(separator: "\n"))
        }
        let hostCPUs = await settings.hostCPUs.value(docker)
        let cpus = limits.cpus(onHostWith: hostCPUs)
        var note = "Resource class \(limits.name): \(cpus) CPU\(cpus == 1 ? "" : "s"), \(limits.memoryGB) GB memory"
        if cpus < limits.cpus { note += " (the class gives \(limits.cpus) CPUs; this builder has only \(hostCPUs))" }
        output(Array("\(note)\n".utf8))

        try FileManager.default.createDirectory(atPath: hostWorkingDirectory, withIntermediateDirectories: true)
        // Any image user may leave the halt marker there.
        try FileManager.default.createDirectory(atPath: hostAgentDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o777])
        _ = chmod(hostAgentDirectory, 0o777)
        var mounts = [Docker.Mount(host: hostWorkingDirectory, container: workingDirectory),
                      Docker.Mount(host: hostAgentDirectory, container: Self.agentMount)]
        if let circleci = settings.circleciBinary {
            mounts.append(Docker.Mount(host: circleci, container: "/usr/local/bin/circleci", readOnly: true))
            mounts.append(Docker.Mount(host: circleci, container: "/usr/local/bin/circleci-agent", readOnly: true))
        }
        if let apiSocket {
            mounts.append(Docker.Mount(host: apiSocket, container: JobAPIProxy.containerPath))
        }
        let serviceHosts = images.dropFirst().compactMap(\.name).filter { !$0.isEmpty }.map { ($0, "127.0.0.1") }
        output(Array("Starting container \(primary.image)\n".utf8))
        do {
            try await docker.start(Docker.ContainerSpec(
                name: name, image: primary.image, network: settings.jobNetwork, entrypoint: "/bin/sh",
                command: ["-c", "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"],
                user: primary.user, environment: primary.environment.map { ($0.name, $0.value) },
                mounts: mounts, labels: labels, workingDirectory: workingDirectory, hosts: serviceHosts,
                cpus: Double(cpus), memoryBytes: limits.memoryBytes))
        } catch let error as DockerError {
            throw WorkspaceError(message: "the primary container (\(primary.image)) did not start: \(error.message)")
        }
        if !Self.isRoot(effectiveUser) {
            // The bind-mounted working directory was made by the agent (root): hand it to the steps' user.
            let probe = ProcessOutput()
            let code = try? await docker.exec(container: name, command: ["/bin/sh", "-c", "echo \"$(id -u):$(id -g)\""],
                                              environment: [], workingDirectory: nil, user: primary.user,
                                              onOutput: probe.append)
            let ids = probe.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if code == 0, ids.split(separator: ":").count == 2, ids.allSatisfy({ $0.isNumber || $0 == ":" }) {
                owner.set(ids)
                await adopt(hostWorkingDirectory)
                output(Array("Steps run as \(effectiveUser) (\(ids)); the working directory is theirs\n".utf8))
            }
        }
        try await startPrimaryCommand(primary, output: output)
        try await startServices(output: output)
    }

    /// The primary keeps an idle PID 1 so steps can always run in it; a configured
    /// `entrypoint`/`command` runs beside the steps, in the background (as on
    /// CircleCI, the image's own ENTRYPOINT/CMD are ignored when neither is given).
    func startPrimaryCommand(_ primary: DockerImagePlan, output: @escaping @Sendable ([UInt8]) -> Void) async throws {
        guard primary.entrypoint != nil || primary.command != nil else { return }
        do {
            var entrypoint = primary.entrypoint ?? []
            if primary.entrypoint == nil { entrypoint = try await docker.entrypoint(of: primary.image) }
            let argv = entrypoint + (primary.command ?? [])
            guard !argv.isEmpty else { return }
            output(Array("Running the primary container's command in the background: \(argv.joined(separator: " "))\n".utf8))
            try await docker.execDetached(container: name, command: argv, user: primary.user)
        } catch let error as DockerError {
            throw WorkspaceError(message: "the primary container's entrypoint/command did not start: \(error.message)")
        }
    }

    /// Starts the service containers in the primary's network namespace. One
    /// that cannot start fails the setup; one that exits right away is
    /// reported with its output, and the job goes on (as on CircleCI).
    func startServices(output: @escaping @Sendable ([UInt8]) -> Void) async throws {
        for (index, service) in images.enumerated().dropFirst() {
            let label = service.name.map { "\(service.image) as \($0)" } ?? service.image
            output(Array("Starting service container \(label)\n".utf8))
            do {
                try await docker.start(Docker.ContainerSpec(
                    name: containerNames[index], image: service.image, network: "container:\(name)",
                    entrypoint: service.entrypoint?.first,
                    command: (service.entrypoint.map { Array($0.dropFirst()) } ?? []) + (service.command ?? []),
                    user: service.user, environment: service.environment.map { ($0.name, $0.value) }, labels: labels))
            } catch let error as DockerError {
                let logs = await docker.logs(of: containerNames[index])
                throw WorkspaceError(message: "service container \(label) did not start: \(error.message)"
                                     + (logs.isEmpty ? "" : "\nIts output:\n\(logs)"))
            }
        }
        for (index, service) in images.enumerated().dropFirst() {
            guard let code = try? await docker.exitCode(of: containerNames[index]) else { continue }
            let logs = await docker.logs(of: containerNames[index])
            output(Array("Service container \(service.image) exited with code \(code)\(logs.isEmpty ? "" : "; its output:\n\(logs)")\n".utf8))
        }
    }

    func run(command: String, shell: String?, environment: [EnvVar], workingDirectory: String?,
             output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32 {
        let directory = workingDirectory.map { Self.expand($0, home: self.workingDirectory) } ?? self.workingDirectory
        // The step's shell records its pid, so a stopped step's processes can be killed in the container.
        let pidFile = "/tmp/.gyre-step-\(UUID().uuidString.lowercased()).pid"
        let code = try await docker.exec(
            container: name, command: ["/bin/sh", "-c", #"echo $$ > "$0" 2>/dev/null; exec "$@""#, pidFile]
                + ShellCommand.argv(shell: shell, command: command),
            environment: environment.map { ($0.name, $0.value) }, workingDirectory: directory, user: images.first?.user,
            onOutput: output)
        if Task.isCancelled {
            // `no_output_timeout` or a stop: killing `docker exec` left the step running in the container.
            await Task.detached { [docker, name] in await Self.killStep(pidFile: pidFile, in: name, docker: docker) }.value
        }
        return code
    }

    /// Kills a step's shell and every process under it (as root, in the container).
    static func killStep(pidFile: String, in container: String, docker: Docker) async {
        let script = #"""
            tree() { for c in $(cat /proc/$1/task/*/children 2>/dev/null); do tree $c; done; echo $1; }
            p=$(cat "$0" 2>/dev/null) || exit 0
            kill -STOP $p 2>/dev/null; kill -9 $(tree $p) 2>/dev/null; rm -f "$0"; exit 0
            """#
        _ = try? await docker.exec(container: container, command: ["/bin/sh", "-c", script, pidFile], environment: [],
                                   workingDirectory: nil, user: "0", onOutput: { _ in })
    }

    /// Removes the job's containers by name and, in case one escaped that, by its labels.
    func cleanUp() async {
        await docker.remove(containerNames.reversed())
        var selector = [DockerSettings.jobLabel, DockerSettings.attemptLabel].compactMap { key in
            labels[key].map { "\(key)=\($0)" }
        }
        if let builder = labels[DockerSettings.builderLabel] { selector.append("\(DockerSettings.builderLabel)=\(builder)") }
        guard selector.count == 3, let left = try? await docker.containers(labels: selector), !left.isEmpty else { return }
        await docker.remove(left)
    }
}
