/// The typed, compiled form of a `.circleci/config.yml` at one revision.
///
/// The dispatcher is the only service that reads YAML; everything downstream
/// (scheduler, build agent) works from these values.
public struct PipelinePlan: Codable, Sendable, Equatable {
    public var workflows: [WorkflowPlan]

    public init(workflows: [WorkflowPlan]) {
        self.workflows = workflows
    }
}

/// One workflow: a DAG of job invocations.
public struct WorkflowPlan: Codable, Sendable, Equatable {
    public var name: String
    public var jobs: [WorkflowJobPlan]

    public init(name: String, jobs: [WorkflowJobPlan]) {
        self.name = name
        self.jobs = jobs
    }
}

/// A job as it appears in a workflow: its unique name in the workflow
/// (`name:` override or the job's name), the names it requires, and the job.
public struct WorkflowJobPlan: Codable, Sendable, Equatable {
    /// Unique within the workflow; `requires` entries refer to this.
    public var name: String
    public var requires: [String]
    public var job: JobPlan

    public init(name: String, requires: [String], job: JobPlan) {
        self.name = name
        self.requires = requires
        self.job = job
    }
}
