/// Everything a build agent needs to run one job. Contains no YAML.
public struct JobPlan: Codable, Sendable, Equatable {
    public var executor: ExecutorPlan
    /// Job-level environment, in the order it was written.
    public var environment: [EnvVar]
    /// As written in the config (may start with `~`); default `~/project`.
    public var workingDirectory: String
    /// Shell for `run` steps when the step names none; nil means
    /// `/bin/bash -eo pipefail`, falling back to `/bin/sh -eo pipefail`.
    public var shell: String?
    public var resourceClass: String
    public var parallelism: Int
    public var steps: [StepPlan]

    public init(executor: ExecutorPlan, environment: [EnvVar] = [], workingDirectory: String = "~/project",
                shell: String? = nil, resourceClass: String = "medium", parallelism: Int = 1, steps: [StepPlan]) {
        self.executor = executor
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.shell = shell
        self.resourceClass = resourceClass
        self.parallelism = parallelism
        self.steps = steps
    }
}

/// An ordered environment entry.
public struct EnvVar: Codable, Sendable, Equatable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// Where the steps run.
public enum ExecutorPlan: Codable, Sendable, Equatable {
    /// Docker executor: the first image is the primary container.
    case docker(images: [DockerImagePlan])
    /// A self-hosted machine runner: steps run as processes on an agent host that
    /// offers `resourceClass` (`namespace/name`).
    case machine(resourceClass: String)

    /// The capability an agent must advertise to take the job (see ``JobPlan/requiredCapability``
    /// for Docker classes that only some builders offer).
    public var requiredCapability: String {
        switch self {
        case .docker: return "docker"
        case .machine(let resourceClass): return "machine:\(resourceClass)"
        }
    }

    /// Docker classes every Docker builder offers (x86-64 sizes, `<size>.gen2` alike).
    public static let commonDockerClasses: Set<String> = ["small", "medium", "medium+", "large", "xlarge", "2xlarge", "2xlarge+"]
}

extension JobPlan {
    /// What an agent must offer: `docker` for the common Docker classes,
    /// `docker:<class>` for the others (`arm.medium`, `gpu.nvidia.small`, a
    /// container runner's `namespace/name`), `machine:<class>` for host jobs.
    public var requiredCapability: String {
        guard case .docker = executor else { return executor.requiredCapability }
        let size = resourceClass.hasSuffix(".gen2") ? String(resourceClass.dropLast(".gen2".count)) : resourceClass
        return ExecutorPlan.commonDockerClasses.contains(size) ? "docker" : "docker:\(resourceClass)"
    }
}

public struct DockerImagePlan: Codable, Sendable, Equatable {
    public var image: String
    public var name: String?
    public var entrypoint: [String]?
    public var command: [String]?
    public var user: String?
    public var environment: [EnvVar]

    public init(image: String, name: String? = nil, entrypoint: [String]? = nil, command: [String]? = nil,
                user: String? = nil, environment: [EnvVar] = []) {
        self.image = image
        self.name = name
        self.entrypoint = entrypoint
        self.command = command
        self.user = user
        self.environment = environment
    }
}
