/// Every exchange, queue and routing key the services share, in one place.
///
/// All names carry a namespace (`GYRE_NAMESPACE`, default `gyre`) so that
/// several installations or test runs can share one broker.
///
/// | routing key | queue | producer | consumer (acks after commit) |
/// |---|---|---|---|
/// | `pipeline.created` | `<ns>.dispatcher.pipeline-created` | frontend (outbox) | dispatcher |
/// | `job.ready` | `<ns>.scheduler.job-ready` | dispatcher (outbox) | picard-scheduler |
/// | `job.finished` | `<ns>.dispatcher.job-finished`, `<ns>.scheduler.job-finished` | output-processor (outbox) | dispatcher, picard-scheduler |
/// | `agent.heartbeat` | `<ns>.scheduler.agent-heartbeat` (30 s TTL) | build-agent | picard-scheduler |
/// | `agent.<agent id>` | `<ns>.agent.<agent id>` (exclusive, dies with the agent) | picard-scheduler (outbox) | build-agent |
/// | `job.event` | `<ns>.output.job-events` (`JobEventBatch`) | build-agent (publisher confirms) | output-processor |
/// | `audit.event` | `<ns>.audit-log.events` (`AuditEventsRecorded`) | frontend, dispatcher, picard-scheduler, output-processor (outbox) | audit-log |
public struct Topology: Sendable, Equatable {
    public let namespace: String

    public init(namespace: String = "gyre") {
        self.namespace = namespace
    }

    /// The one direct exchange every message goes through.
    public var exchange: String { namespace }

    public enum RoutingKey {
        public static let pipelineCreated = "pipeline.created"
        public static let pipelineContinued = "pipeline.continued"
        public static let jobReady = "job.ready"
        public static let jobFinished = "job.finished"
        public static let agentHeartbeat = "agent.heartbeat"
        public static let jobEvent = "job.event"
        public static let auditEvent = "audit.event"
        public static func agent(_ id: String) -> String { "agent.\(id)" }
    }

    public var dispatcherPipelineCreated: String { "\(namespace).dispatcher.pipeline-created" }
    public var dispatcherJobFinished: String { "\(namespace).dispatcher.job-finished" }
    public var schedulerJobReady: String { "\(namespace).scheduler.job-ready" }
    public var schedulerJobFinished: String { "\(namespace).scheduler.job-finished" }
    public var schedulerAgentHeartbeat: String { "\(namespace).scheduler.agent-heartbeat" }
    public var outputJobEvents: String { "\(namespace).output.job-events" }
    public var auditLogEvents: String { "\(namespace).audit-log.events" }
    public func agentQueue(_ id: String) -> String { "\(namespace).agent.\(id)" }

    /// A durable queue and the routing keys bound to it.
    public struct QueueSpec: Sendable, Equatable {
        public let name: String
        public let routingKeys: [String]
        public let messageTTLMilliseconds: Int?
    }

    /// The durable queues; agent queues are declared by each agent itself.
    public var durableQueues: [QueueSpec] {
        [
            QueueSpec(name: dispatcherPipelineCreated, routingKeys: [RoutingKey.pipelineCreated, RoutingKey.pipelineContinued],
                      messageTTLMilliseconds: nil),
            QueueSpec(name: dispatcherJobFinished, routingKeys: [RoutingKey.jobFinished], messageTTLMilliseconds: nil),
            QueueSpec(name: schedulerJobReady, routingKeys: [RoutingKey.jobReady], messageTTLMilliseconds: nil),
            QueueSpec(name: schedulerJobFinished, routingKeys: [RoutingKey.jobFinished], messageTTLMilliseconds: nil),
            QueueSpec(name: schedulerAgentHeartbeat, routingKeys: [RoutingKey.agentHeartbeat], messageTTLMilliseconds: 30_000),
            QueueSpec(name: outputJobEvents, routingKeys: [RoutingKey.jobEvent], messageTTLMilliseconds: nil),
            QueueSpec(name: auditLogEvents, routingKeys: [RoutingKey.auditEvent], messageTTLMilliseconds: nil),
        ]
    }
}
