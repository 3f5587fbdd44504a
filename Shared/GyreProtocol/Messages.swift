import Foundation
import GyreModel

/// A message between services. `version` lets a consumer refuse what it cannot read.
public protocol GyreMessage: Codable, Sendable {
    static var type: String { get }
    static var version: Int { get }
}

/// A pipeline row was committed in state `created`: compile its config.
public struct PipelineCreated: GyreMessage, Equatable {
    public static let type = "pipeline.created"
    public static let version = 1
    public var pipelineId: UUID

    public init(pipelineId: UUID) { self.pipelineId = pipelineId }
}

/// A setup pipeline was continued (`POST /pipeline/continue`): compile its
/// continuation configuration and add its workflows.
public struct PipelineContinued: GyreMessage, Equatable {
    public static let type = "pipeline.continued"
    public static let version = 1
    public var pipelineId: UUID

    public init(pipelineId: UUID) { self.pipelineId = pipelineId }
}

/// A job became `queued`: place it on an agent.
public struct JobReady: GyreMessage, Equatable {
    public static let type = "job.ready"
    public static let version = 1
    public var jobId: UUID

    public init(jobId: UUID) { self.jobId = jobId }
}

/// A job reached a final status (recorded by the output-processor).
public struct JobFinished: GyreMessage, Equatable {
    public static let type = "job.finished"
    public static let version = 1
    public var jobId: UUID
    public var workflowId: UUID
    public var status: JobStatus

    public init(jobId: UUID, workflowId: UUID, status: JobStatus) {
        self.jobId = jobId
        self.workflowId = workflowId
        self.status = status
    }
}

/// An agent is alive, what it can run, and what it runs now.
public struct AgentHeartbeat: GyreMessage, Equatable {
    public static let type = "agent.heartbeat"
    public static let version = 1
    public var agentId: UUID
    public var name: String
    /// `docker` and/or `machine:<namespace/name>` (see `ExecutorPlan.requiredCapability`).
    public var capabilities: [String]
    public var capacity: Int
    /// Attempts (job id, fencing token) the agent is running: renews their leases.
    /// The scheduler tells the agent to stop any that lost its lease.
    public var running: [JobAttempt]
    /// Attempts that ended in the last minutes (their final events may still
    /// be on the way): the scheduler does not take their assignment as lost.
    public var recent: [JobAttempt]
    /// False when the agent is shutting down: place nothing more on it.
    public var accepting: Bool

    public init(agentId: UUID, name: String, capabilities: [String], capacity: Int, running: [JobAttempt],
                recent: [JobAttempt] = [], accepting: Bool) {
        self.agentId = agentId
        self.name = name
        self.capabilities = capabilities
        self.capacity = capacity
        self.running = running
        self.recent = recent
        self.accepting = accepting
    }

    private enum CodingKeys: String, CodingKey { case agentId, name, capabilities, capacity, running, recent, accepting }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        agentId = try c.decode(UUID.self, forKey: .agentId)
        name = try c.decode(String.self, forKey: .name)
        capabilities = try c.decode([String].self, forKey: .capabilities)
        capacity = try c.decode(Int.self, forKey: .capacity)
        running = try c.decode([JobAttempt].self, forKey: .running)
        recent = try c.decodeIfPresent([JobAttempt].self, forKey: .recent) ?? []
        accepting = try c.decode(Bool.self, forKey: .accepting)
    }
}

public struct JobAttempt: Codable, Sendable, Hashable {
    public var jobId: UUID
    public var attempt: Int

    public init(jobId: UUID, attempt: Int) {
        self.jobId = jobId
        self.attempt = attempt
    }
}

/// The scheduler gives a job to one agent. `attempt` grows each time the job is
/// placed again, so late events from an earlier attempt are recognised and dropped.
public struct JobAssignment: GyreMessage, Equatable {
    public static let type = "job.assignment"
    public static let version = 1
    public var job: AgentJob

    public init(job: AgentJob) { self.job = job }
}

/// What an agent needs to run a job: its plan and the built-in environment's facts.
public struct AgentJob: Codable, Sendable, Equatable {
    public var jobId: UUID
    public var attempt: Int
    public var number: Int
    public var name: String
    public var projectSlug: String
    public var pipelineId: UUID
    public var pipelineNumber: Int
    public var workflowId: UUID
    public var workflowName: String
    public var vcsURL: String
    public var branch: String?
    public var tag: String?
    public var revision: String
    public var buildURL: String
    public var plan: JobPlan
    /// `CIRCLE_NODE_INDEX` / `CIRCLE_NODE_TOTAL`: which of the job's parallel
    /// runs this is. `jobId` is the run's own id; `parentJobId` is the job's
    /// (equal to `jobId` when parallelism is 1).
    public var nodeIndex: Int
    public var nodeTotal: Int
    public var parentJobId: UUID
    /// `CIRCLE_CONTINUATION_KEY`: set for the jobs of a setup pipeline until it is continued.
    public var continuationKey: String?
    /// A job rerun from failed: the run before it, whose failed tests `circleci tests run` reruns.
    public var previousRun: UUID?
    /// This attempt's credential on the output-processor's internal storage API (valid while it runs).
    public var jobToken: String?
    /// The job has contexts or its project has environment variables: the agent asks the contexts service for
    /// them when the job starts (they are never in this message). nil from older schedulers: false.
    public var secretEnvironment: Bool?
    /// A job of a setup pipeline not yet continued: the agent serves it the continuation API, and its key
    /// (`CIRCLE_CONTINUATION_KEY`) comes with its secret environment. nil from older schedulers: false.
    public var setupPipeline: Bool?

    /// A setup job (the key in the message, from older schedulers, or the flag).
    public var isSetupJob: Bool { continuationKey != nil || setupPipeline == true }

    public init(jobId: UUID, attempt: Int, number: Int, name: String, projectSlug: String, pipelineId: UUID,
                pipelineNumber: Int, workflowId: UUID, workflowName: String, vcsURL: String, branch: String?,
                tag: String?, revision: String, buildURL: String, plan: JobPlan,
                nodeIndex: Int = 0, nodeTotal: Int = 1, parentJobId: UUID? = nil, continuationKey: String? = nil,
                previousRun: UUID? = nil, jobToken: String? = nil, secretEnvironment: Bool? = nil,
                setupPipeline: Bool? = nil) {
        self.jobToken = jobToken
        self.secretEnvironment = secretEnvironment
        self.setupPipeline = setupPipeline
        self.continuationKey = continuationKey
        self.previousRun = previousRun
        self.jobId = jobId
        self.attempt = attempt
        self.number = number
        self.name = name
        self.projectSlug = projectSlug
        self.pipelineId = pipelineId
        self.pipelineNumber = pipelineNumber
        self.workflowId = workflowId
        self.workflowName = workflowName
        self.vcsURL = vcsURL
        self.branch = branch
        self.tag = tag
        self.revision = revision
        self.buildURL = buildURL
        self.plan = plan
        self.nodeIndex = nodeIndex
        self.nodeTotal = nodeTotal
        self.parentJobId = parentJobId ?? jobId
    }

    private enum CodingKeys: String, CodingKey {
        case jobId, attempt, number, name, projectSlug, pipelineId, pipelineNumber, workflowId, workflowName
        case vcsURL, branch, tag, revision, buildURL, plan, nodeIndex, nodeTotal, parentJobId, continuationKey, previousRun, jobToken
        case secretEnvironment, setupPipeline
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        jobId = try c.decode(UUID.self, forKey: .jobId)
        attempt = try c.decode(Int.self, forKey: .attempt)
        number = try c.decode(Int.self, forKey: .number)
        name = try c.decode(String.self, forKey: .name)
        projectSlug = try c.decode(String.self, forKey: .projectSlug)
        pipelineId = try c.decode(UUID.self, forKey: .pipelineId)
        pipelineNumber = try c.decode(Int.self, forKey: .pipelineNumber)
        workflowId = try c.decode(UUID.self, forKey: .workflowId)
        workflowName = try c.decode(String.self, forKey: .workflowName)
        vcsURL = try c.decode(String.self, forKey: .vcsURL)
        branch = try c.decodeIfPresent(String.self, forKey: .branch)
        tag = try c.decodeIfPresent(String.self, forKey: .tag)
        revision = try c.decode(String.self, forKey: .revision)
        buildURL = try c.decode(String.self, forKey: .buildURL)
        plan = try c.decode(JobPlan.self, forKey: .plan)
        nodeIndex = try c.decodeIfPresent(Int.self, forKey: .nodeIndex) ?? 0
        nodeTotal = try c.decodeIfPresent(Int.self, forKey: .nodeTotal) ?? 1
        parentJobId = try c.decodeIfPresent(UUID.self, forKey: .parentJobId) ?? jobId
        continuationKey = try c.decodeIfPresent(String.self, forKey: .continuationKey)
        previousRun = try c.decodeIfPresent(UUID.self, forKey: .previousRun)
        jobToken = try c.decodeIfPresent(String.self, forKey: .jobToken)
        secretEnvironment = try c.decodeIfPresent(Bool.self, forKey: .secretEnvironment)
        setupPipeline = try c.decodeIfPresent(Bool.self, forKey: .setupPipeline)
    }
}

/// Stop a job an agent is running (workflow or job cancel). Sent to the
/// agent's own routing key (`Topology.agentRoutingKey`); the agent kills the
/// job's processes and containers and reports `jobFinished(.canceled)`.
public struct JobCancel: GyreMessage, Equatable {
    public static let type = "job.cancel"
    public static let version = 1
    public var jobId: UUID
    public var attempt: Int
    /// `canceled` (a person canceled it) or `superseded` (the attempt lost its
    /// lease: the job was queued again or moved on). nil from older senders: canceled.
    public var reason: String?

    public init(jobId: UUID, attempt: Int, reason: String? = nil) {
        self.jobId = jobId
        self.attempt = attempt
        self.reason = reason
    }
}

/// Progress of a running job, from the agent to the output-processor, in the
/// order it happened. Output chunks carry their byte offset in the step's log
/// so that writing them is idempotent (a redelivered chunk lands on itself).
public struct JobEvent: GyreMessage, Equatable {
    public static let type = "job.event"
    public static let version = 1

    public enum Kind: Codable, Sendable, Equatable {
        case jobStarted(agentId: UUID)
        case stepStarted(index: Int, name: String, kind: String)
        case output(index: Int, offset: Int64, data: Data)
        case stepFinished(index: Int, status: StepStatus, exitCode: Int32?, bytes: Int64)
        /// `steps`: how many steps the agent reported finished before this; the
        /// output-processor records the job finished only once they all are
        /// (batches can reach two output-processor replicas out of order).
        case jobFinished(status: JobStatus, message: String?, steps: Int? = nil)
    }

    public var jobId: UUID
    public var attempt: Int
    /// Agent clock, milliseconds since 1970.
    public var at: Int64
    public var kind: Kind

    public init(jobId: UUID, attempt: Int, at: Int64, kind: Kind) {
        self.jobId = jobId
        self.attempt = attempt
        self.at = at
        self.kind = kind
    }
}

/// Job events in the order they happened, as one message: the agent sends
/// whatever accumulated while its previous message was being confirmed, and
/// the output-processor makes the whole batch durable at once (one
/// transaction, one flush per log file, one Redis round trip).
public struct JobEventBatch: GyreMessage, Equatable {
    public static let type = "job.events"
    public static let version = 1
    public var events: [JobEvent]

    public init(events: [JobEvent]) { self.events = events }
}

/// JSON encoding shared by every producer and consumer.
public enum MessageCodec {
    public static func encode<M: GyreMessage>(_ message: M) -> [UInt8] {
        // Encoding our own Codable structs cannot fail.
        (try? JSONEncoder().encode(message)).map { Array($0) } ?? []
    }

    public static func decode<M: GyreMessage>(_ type: M.Type, from bytes: [UInt8]) throws -> M {
        try JSONDecoder().decode(M.self, from: Data(bytes))
    }
}
