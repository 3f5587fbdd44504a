/// One step of a job.
public enum StepPlan: Codable, Sendable, Equatable {
    case checkout(CheckoutStep)
    case run(RunStep)

    /// The name shown for the step in the API and logs.
    public var displayName: String {
        switch self {
        case .checkout: return "Checkout code"
        case .run(let run): return run.name
        }
    }

    public var kind: String {
        switch self {
        case .checkout: return "checkout"
        case .run: return "run"
        }
    }
}

public struct CheckoutStep: Codable, Sendable, Equatable {
    /// Where to check out, relative to the working directory; nil = the working directory.
    public var path: String?

    public init(path: String? = nil) {
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

    public init(name: String, command: String, shell: String? = nil, environment: [EnvVar] = [],
                workingDirectory: String? = nil, background: Bool = false, noOutputTimeout: Int? = nil,
                when: StepCondition = .onSuccess) {
        self.name = name
        self.command = command
        self.shell = shell
        self.environment = environment
        self.workingDirectory = workingDirectory
        self.background = background
        self.noOutputTimeout = noOutputTimeout
        self.when = when
    }
}
