extension Docker {
    /// A bind mount of a host path into a container.
    public struct Mount: Sendable, Equatable {
        public var host: String
        public var container: String
        public var readOnly: Bool

        public init(host: String, container: String, readOnly: Bool = false) {
            self.host = host
            self.container = container
            self.readOnly = readOnly
        }

        var argument: String { "\(host):\(container)" + (readOnly ? ":ro" : "") }
    }

    /// What `docker run --detach` is given.
    public struct ContainerSpec: Sendable {
        public var name: String
        public var image: String
        /// `none`, `host`, or `container:<name>` to share another container's network.
        public var network: String
        /// The entrypoint's program; its arguments go first in `command`.
        public var entrypoint: String?
        public var command: [String]
        public var user: String?
        public var environment: [(String, String)]
        public var mounts: [Mount]
        public var labels: [String: String]
        public var workingDirectory: String?
        /// `--add-host name:address` entries (names of service containers → 127.0.0.1).
        public var hosts: [(String, String)]
        /// `--cpus`; nil = no limit.
        public var cpus: Double?
        /// `--memory` in bytes; nil = no limit.
        public var memoryBytes: Int64?

        public init(name: String, image: String, network: String = "none", entrypoint: String? = nil,
                    command: [String] = [], user: String? = nil, environment: [(String, String)] = [],
                    mounts: [Mount] = [], labels: [String: String] = [:], workingDirectory: String? = nil,
                    hosts: [(String, String)] = [], cpus: Double? = nil, memoryBytes: Int64? = nil) {
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
            self.hosts = hosts
            self.cpus = cpus
            self.memoryBytes = memoryBytes
        }

        /// The `docker run` arguments; `environment` are `SecretEnvironment.arguments`.
        func runArguments(environment: [String]) -> [String] {
            var arguments = ["run", "--detach", "--pull", "never", "--name", name, "--network", network]
            if let entrypoint { arguments += ["--entrypoint", entrypoint] }
            if let user { arguments += ["--user", user] }
            if let workingDirectory { arguments += ["--workdir", workingDirectory] }
            arguments += environment
            for mount in mounts { arguments += ["--volume", mount.argument] }
            for (host, address) in hosts { arguments += ["--add-host", "\(host):\(address)"] }
            if let cpus { arguments += ["--cpus", String(cpus)] }
            if let memoryBytes { arguments += ["--memory", "\(memoryBytes)b", "--memory-swap", "\(memoryBytes)b"] }
            for (key, value) in labels.sorted(by: { $0.key < $1.key }) { arguments += ["--label", "\(key)=\(value)"] }
            arguments.append(image)
            return arguments + command
        }
    }
}
