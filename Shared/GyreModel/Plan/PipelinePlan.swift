/// The typed, compiled form of a `.circleci/config.yml` at one revision.
///
/// The dispatcher is the only service that reads YAML; everything downstream
/// (scheduler, build agent) works from these values. Parameters, `<< >>`
/// interpolation, orbs, commands, executors, matrix and `when`/`unless` are
/// all resolved by the compiler; filters and schedule triggers are kept, since
/// they depend on the pipeline's branch or tag and on the clock.
public struct PipelinePlan: Codable, Sendable, Equatable {
    public var workflows: [WorkflowPlan]
    /// `setup: true`: a dynamic configuration's setup phase. Its jobs get a
    /// continuation key and the pipeline waits for `POST /pipeline/continue`.
    public var setup: Bool

    public init(workflows: [WorkflowPlan], setup: Bool = false) {
        self.workflows = workflows
        self.setup = setup
    }

    private enum CodingKeys: String, CodingKey { case workflows, setup }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        workflows = try container.decode([WorkflowPlan].self, forKey: .workflows)
        setup = try container.decodeIfPresent(Bool.self, forKey: .setup) ?? false
    }
}

/// One workflow: a DAG of job invocations.
public struct WorkflowPlan: Codable, Sendable, Equatable {
    public var name: String
    public var jobs: [WorkflowJobPlan]
    /// `triggers: - schedule:`; a workflow with triggers runs only on its
    /// schedule, never on a push or API trigger.
    public var triggers: [ScheduleTrigger]

    public init(name: String, jobs: [WorkflowJobPlan], triggers: [ScheduleTrigger] = []) {
        self.name = name
        self.jobs = jobs
        self.triggers = triggers
    }

    private enum CodingKeys: String, CodingKey { case name, jobs, triggers }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        jobs = try container.decode([WorkflowJobPlan].self, forKey: .jobs)
        triggers = try container.decodeIfPresent([ScheduleTrigger].self, forKey: .triggers) ?? []
    }
}

public enum WorkflowJobType: String, Codable, Sendable, Equatable {
    case build
    /// `type: approval`: held `on_hold` until a person approves it; has no plan.
    case approval
    /// `type: no-op`: a workflow marker that succeeds as soon as its requirements are met; has no plan.
    case noOp = "no-op"

    /// A job that runs nothing on an agent (approval, no-op).
    public var isMarker: Bool { self != .build }
}

/// A job as it appears in a workflow: its unique name in the workflow
/// (`name:` override, matrix-expanded name, or the job's name), the names it
/// requires, and the job.
public struct WorkflowJobPlan: Codable, Sendable, Equatable {
    /// Unique within the workflow; `requires` entries refer to this.
    public var name: String
    public var requires: [String]
    public var type: WorkflowJobType
    /// nil exactly for the markers (`type.isMarker`: approval, no-op).
    public var job: JobPlan?
    /// `context:` names, in order.
    public var contexts: [String]
    /// nil = CircleCI's default: every branch, no tags.
    public var filters: JobFilters?
    /// The statuses a requirement may end with for this job to run
    /// (`- build: failed`, `- test: [success, canceled]`), by requirement
    /// name; a requirement not listed must succeed. See ``acceptedStatuses(of:)``.
    public var requiredStatuses: [String: [JobStatus]]
    /// `serial-group:`: jobs of one group run one at a time, across pipelines, in pipeline order.
    public var serialGroup: String?

    public init(name: String, requires: [String], type: WorkflowJobType = .build, job: JobPlan?,
                contexts: [String] = [], filters: JobFilters? = nil, requiredStatuses: [String: [JobStatus]] = [:],
                serialGroup: String? = nil) {
        self.name = name
        self.requires = requires
        self.type = type
        self.job = job
        self.contexts = contexts
        self.filters = filters
        self.requiredStatuses = requiredStatuses
        self.serialGroup = serialGroup
    }

    /// The statuses `requirement` may end with: those given, else `[.success]`.
    public func acceptedStatuses(of requirement: String) -> [JobStatus] {
        requiredStatuses[requirement] ?? [.success]
    }

    private enum CodingKeys: String, CodingKey {
        case name, requires, type, job, contexts, filters, requiredStatuses, serialGroup
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        requires = try container.decode([String].self, forKey: .requires)
        type = try container.decodeIfPresent(WorkflowJobType.self, forKey: .type) ?? .build
        job = try container.decodeIfPresent(JobPlan.self, forKey: .job)
        contexts = try container.decodeIfPresent([String].self, forKey: .contexts) ?? []
        filters = try container.decodeIfPresent(JobFilters.self, forKey: .filters)
        requiredStatuses = try container.decodeIfPresent([String: [JobStatus]].self, forKey: .requiredStatuses) ?? [:]
        serialGroup = try container.decodeIfPresent(String.self, forKey: .serialGroup)
    }

    /// `requiredStatuses` is left out when empty (every requirement must succeed).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(requires, forKey: .requires)
        try container.encode(type, forKey: .type)
        try container.encodeIfPresent(job, forKey: .job)
        try container.encode(contexts, forKey: .contexts)
        try container.encodeIfPresent(filters, forKey: .filters)
        if !requiredStatuses.isEmpty { try container.encode(requiredStatuses, forKey: .requiredStatuses) }
        try container.encodeIfPresent(serialGroup, forKey: .serialGroup)
    }
}

/// `triggers: - schedule: { cron, filters: { branches } }`.
public struct ScheduleTrigger: Codable, Sendable, Equatable {
    /// Five POSIX cron fields, UTC.
    public var cron: String
    public var branches: PatternFilter

    public init(cron: String, branches: PatternFilter) {
        self.cron = cron
        self.branches = branches
    }
}
