/// One step of a job. Every step the CircleCI 2.1 reference defines has a case;
/// `when`/`unless` steps and `deploy` are resolved by the compiler (into the
/// steps they guard, and into `run`) so the agent never sees them.
public enum StepPlan: Codable, Sendable, Equatable {
    case checkout(CheckoutStep)
    case run(RunStep)
    case saveCache(SaveCacheStep)
    case restoreCache(RestoreCacheStep)
    case persistToWorkspace(PersistToWorkspaceStep)
    case attachWorkspace(AttachWorkspaceStep)
    case storeArtifacts(StoreArtifactsStep)
    case storeTestResults(StoreTestResultsStep)
    case addSSHKeys(AddSSHKeysStep)
    case setupRemoteDocker(SetupRemoteDockerStep)

    /// The name shown for the step in the API and logs.
    public var displayName: String {
        switch self {
        case .checkout(let step): return step.name
        case .run(let step): return step.name
        case .saveCache(let step): return step.name
        case .restoreCache(let step): return step.name
        case .persistToWorkspace(let step): return step.name
        case .attachWorkspace(let step): return step.name
        case .storeArtifacts(let step): return step.name
        case .storeTestResults(let step): return step.name
        case .addSSHKeys(let step): return step.name
        case .setupRemoteDocker(let step): return step.name
        }
    }

    /// The step's type as written in the config (`store_artifacts`, ...).
    public var kind: String {
        switch self {
        case .checkout: return "checkout"
        case .run: return "run"
        case .saveCache: return "save_cache"
        case .restoreCache: return "restore_cache"
        case .persistToWorkspace: return "persist_to_workspace"
        case .attachWorkspace: return "attach_workspace"
        case .storeArtifacts: return "store_artifacts"
        case .storeTestResults: return "store_test_results"
        case .addSSHKeys: return "add_ssh_keys"
        case .setupRemoteDocker: return "setup_remote_docker"
        }
    }

    /// When the step runs relative to earlier failures. CircleCI runs
    /// `store_artifacts` and `store_test_results` even after a failure, so the
    /// evidence of the failure is kept.
    public var condition: StepCondition {
        switch self {
        case .run(let step): return step.when
        case .saveCache(let step): return step.when
        case .restoreCache(let step): return step.when ?? .onSuccess
        case .persistToWorkspace(let step): return step.when ?? .onSuccess
        case .attachWorkspace(let step): return step.when ?? .onSuccess
        case .storeArtifacts(let step): return step.when ?? .always
        case .storeTestResults(let step): return step.when ?? .always
        case .addSSHKeys(let step): return step.when ?? .onSuccess
        case .setupRemoteDocker(let step): return step.when ?? .onSuccess
        case .checkout: return .onSuccess
        }
    }

    /// The same step with its `when:` set.
    public func running(when condition: StepCondition) -> StepPlan {
        switch self {
        case .run(var step): step.when = condition; return .run(step)
        case .saveCache(var step): step.when = condition; return .saveCache(step)
        case .restoreCache(var step): step.when = condition; return .restoreCache(step)
        case .persistToWorkspace(var step): step.when = condition; return .persistToWorkspace(step)
        case .attachWorkspace(var step): step.when = condition; return .attachWorkspace(step)
        case .storeArtifacts(var step): step.when = condition; return .storeArtifacts(step)
        case .storeTestResults(var step): step.when = condition; return .storeTestResults(step)
        case .addSSHKeys(var step): step.when = condition; return .addSSHKeys(step)
        case .setupRemoteDocker(var step): step.when = condition; return .setupRemoteDocker(step)
        case .checkout: return self
        }
    }
}

public struct CheckoutStep: Codable, Sendable, Equatable {
    public var name: String
    /// Where to check out, relative to the working directory; nil = the working directory.
    public var path: String?

    public init(name: String = "Checkout code", path: String? = nil) {
        self.name = name
        self.path = path
    }
}

/// When a step runs relative to earlier failures.
public enum StepCondition: String, Codable, Sendable, Equatable {
    case onSuccess = "on_success"
    case onFail = "on_fail"
    case always
}

public struct RunStep: Codable, Sendable, Equatable {
    /// Defaults to the command's first line (truncated) when the config gives none.
    public var name: String
    public var command: String
    public var shell: String?
    public var environment: [EnvVar]
    public var workingDirectory: String?
    public var background: Bool
    /// Seconds without output before the step is stopped; nil = the default (10 minutes).
    public var noOutputTimeout: Int?
    public var when: StepCondition
    /// A `deploy` step: under parallelism it runs on node 0 only.
    public var firstNodeOnly: Bool

    public init(name: String, command: String, shell: String? = nil, environment: [EnvVar] = [],
                workingDirectory: String? = nil, background: Bool = false, noOutputTimeout: Int? = nil,
                when: StepCondition = .onSuccess, firstNodeOnly: Bool = false) {
        self.name = name
        self.command = command
        self.shell = shell
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.background = background
        self.noOutputTimeout = noOutputTimeout
        self.when = when
        self.firstNodeOnly = firstNodeOnly
    }

    private enum CodingKeys: String, CodingKey {
        case name, command, shell, environment, workingDirectory, background, noOutputTimeout, when, firstNodeOnly
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        command = try c.decode(String.self, forKey: .command)
        shell = try c.decodeIfPresent(String.self, forKey: .shell)
        environment = try c.decode([EnvVar].self, forKey: .environment)
        workingDirectory = try c.decodeIfPresent(String.self, forKey: .workingDirectory)
        background = try c.decode(Bool.self, forKey: .background)
        noOutputTimeout = try c.decodeIfPresent(Int.self, forKey: .noOutputTimeout)
        when = try c.decode(StepCondition.self, forKey: .when)
        // Absent in plans stored before `deploy` was told apart from `run`.
        firstNodeOnly = try c.decodeIfPresent(Bool.self, forKey: .firstNodeOnly) ?? false
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(command, forKey: .command)
        try c.encodeIfPresent(shell, forKey: .shell)
        try c.encode(environment, forKey: .environment)
        try c.encodeIfPresent(workingDirectory, forKey: .workingDirectory)
        try c.encode(background, forKey: .background)
        try c.encodeIfPresent(noOutputTimeout, forKey: .noOutputTimeout)
        try c.encode(when, forKey: .when)
        if firstNodeOnly { try c.encode(true, forKey: .firstNodeOnly) }
    }
}

/// `save_cache`: `key` is a template (`{{ .Branch }}`, `{{ checksum "f" }}`, ...)
/// rendered by the agent; caches are immutable, an existing key is not overwritten.
public struct SaveCacheStep: Codable, Sendable, Equatable {
    public var name: String
    public var key: String
    /// As written (may start with `~`, may be relative to the working directory).
    public var paths: [String]
    public var when: StepCondition

    public init(name: String = "Saving Cache", key: String, paths: [String], when: StepCondition = .onSuccess) {
        self.name = name
        self.key = key
        self.paths = paths
        self.when = when
    }
}

/// `restore_cache`: each key template is rendered and tried in order as a
/// prefix; the most recently saved cache matching the first matching prefix wins.
public struct RestoreCacheStep: Codable, Sendable, Equatable {
    public var name: String
    /// `when:` as written (nil: the step's default, see `StepPlan.condition`).
    public var when: StepCondition?
    public var keys: [String]

    public init(name: String = "Restoring Cache", keys: [String]) {
        self.name = name
        self.keys = keys
    }
}

public struct PersistToWorkspaceStep: Codable, Sendable, Equatable {
    public var name: String
    /// `when:` as written (nil: the step's default, see `StepPlan.condition`).
    public var when: StepCondition?
    /// Absolute, or relative to the working directory.
    public var root: String
    /// Relative to `root`; globs allowed.
    public var paths: [String]

    public init(name: String = "Persisting to Workspace", root: String, paths: [String]) {
        self.name = name
        self.root = root
        self.paths = paths
    }
}

public struct AttachWorkspaceStep: Codable, Sendable, Equatable {
    public var name: String
    /// `when:` as written (nil: the step's default, see `StepPlan.condition`).
    public var when: StepCondition?
    /// Where the workspace's contents appear (absolute, or relative to the working directory).
    public var at: String

    public init(name: String = "Attaching Workspace", at: String) {
        self.name = name
        self.at = at
    }
}

public struct StoreArtifactsStep: Codable, Sendable, Equatable {
    public var name: String
    /// `when:` as written (nil: the step's default, see `StepPlan.condition`).
    public var when: StepCondition?
    public var path: String
    /// Prefix of the artifacts' paths; nil = the path as written.
    public var destination: String?

    public init(name: String = "Uploading artifacts", path: String, destination: String? = nil) {
        self.name = name
        self.path = path
        self.destination = destination
    }
}

public struct StoreTestResultsStep: Codable, Sendable, Equatable {
    public var name: String
    /// `when:` as written (nil: the step's default, see `StepPlan.condition`).
    public var when: StepCondition?
    /// A JUnit XML file, or a directory searched for `*.xml`.
    public var path: String

    public init(name: String = "Uploading test results", path: String) {
        self.name = name
        self.path = path
    }
}

public struct AddSSHKeysStep: Codable, Sendable, Equatable {
    public var name: String
    /// `when:` as written (nil: the step's default, see `StepPlan.condition`).
    public var when: StepCondition?
    /// Empty = every SSH key of the project.
    public var fingerprints: [String]

    public init(name: String = "Install additional SSH keys", fingerprints: [String] = []) {
        self.name = name
        self.fingerprints = fingerprints
    }
}

public struct SetupRemoteDockerStep: Codable, Sendable, Equatable {
    public var name: String
    /// `when:` as written (nil: the step's default, see `StepPlan.condition`).
    public var when: StepCondition?
    public var version: String?
    public var dockerLayerCaching: Bool

    public init(name: String = "Setup a remote Docker engine", version: String? = nil, dockerLayerCaching: Bool = false) {
        self.name = name
        self.version = version
        self.dockerLayerCaching = dockerLayerCaching
    }
}
