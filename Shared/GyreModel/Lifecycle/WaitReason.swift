import Foundation

/// Why a job that has not started is waiting, in words a person can act on.
/// Worked out when it is read (job details), from the job's state and the
/// scheduler's view (live agents, jobs ahead in line), so it is never stale.
public enum WaitReason: Sendable, Equatable {
    /// Jobs it requires have not finished (names, in workflow order).
    case upstream([String])
    /// An approval job waiting for someone to approve it.
    case approval
    /// No live agent offers what the job needs.
    case noAgent(capability: String)
    /// The only live agents that offer it were drained by an admin (their names).
    case drained(capability: String, agents: [String])
    /// Agents offer it, but all their slots are taken; `ahead` jobs of the same kind wait before it.
    case agentsBusy(capability: String, agents: Int, ahead: Int)
    /// Placed on an agent that has not reported the start yet.
    case starting(agent: String)
    /// Its requirements are met; the other jobs of its serial group go first (`ahead` of them).
    case serialGroup(String, ahead: Int)

    /// The job's facts the reason is derived from.
    public struct Facts: Sendable {
        public var status: JobStatus
        public var capability: String
        /// Set while an agent holds the job.
        public var agentName: String?
        /// Names of the jobs it requires that have not finished.
        public var unfinishedRequirements: [String]
        public var approval: Bool
        /// Live agents that offer `capability` and take new jobs, and how many of their slots are free.
        public var liveAgents: Int
        /// Names of the live agents that offer `capability` but were drained by an admin.
        public var drainedAgents: [String] = []
        public var freeSlots: Int
        /// Waiting jobs of the same capability queued before this one.
        public var ahead: Int
        /// Set when the job's requirements are met and it waits for its serial group,
        /// with how many jobs of the group run or wait before it.
        public var serialGroup: (name: String, ahead: Int)?

        public init(status: JobStatus, capability: String, agentName: String? = nil, unfinishedRequirements: [String] = [],
                    approval: Bool = false, liveAgents: Int = 0, freeSlots: Int = 0, ahead: Int = 0) {
            self.status = status
            self.capability = capability
            self.agentName = agentName
            self.unfinishedRequirements = unfinishedRequirements
            self.approval = approval
            self.liveAgents = liveAgents
            self.freeSlots = freeSlots
            self.ahead = ahead
        }
    }

    /// The reason for a job in `facts`, or nil when it is not waiting (running or finished).
    public static func explain(_ facts: Facts) -> WaitReason? {
        switch facts.status {
        case .blocked:
            if let group = facts.serialGroup { return .serialGroup(group.name, ahead: group.ahead) }
            return .upstream(facts.unfinishedRequirements)
        case .onHold:
            return facts.approval ? .approval : .upstream(facts.unfinishedRequirements)
        case .queued, .notRunning:
            if let agent = facts.agentName { return .starting(agent: agent) }
            if facts.liveAgents == 0 {
                if !facts.drainedAgents.isEmpty { return .drained(capability: facts.capability, agents: facts.drainedAgents) }
                return .noAgent(capability: facts.capability)
            }
            return .agentsBusy(capability: facts.capability, agents: facts.liveAgents, ahead: facts.ahead)
        default:
            return nil
        }
    }

    /// A short machine-readable kind, stable for clients.
    public var code: String {
        switch self {
        case .upstream: return "upstream"
        case .approval: return "approval"
        case .noAgent: return "no_agent"
        case .drained: return "drained"
        case .agentsBusy: return "agents_busy"
        case .starting: return "starting"
        case .serialGroup: return "serial_group"
        }
    }

    public var message: String {
        switch self {
        case .upstream(let names):
            if names.isEmpty { return "waiting for the jobs it requires" }
            return "waiting for upstream jobs: \(names.joined(separator: ", "))"
        case .approval:
            return "waiting for approval"
        case .noAgent(let capability):
            return "waiting for an agent with \(Self.describe(capability)): none is registered"
        case .drained(let capability, let agents):
            let which = agents.count == 1 ? "agent \(agents[0]) is" : "agents \(agents.joined(separator: ", ")) are"
            return "waiting for an agent with \(Self.describe(capability)): \(which) drained by an admin"
        case .agentsBusy(let capability, let agents, let ahead):
            let count = agents == 1 ? "the 1 agent" : "all \(agents) agents"
            let line = ahead == 0 ? "it is next in line" : "\(ahead) job\(ahead == 1 ? "" : "s") ahead"
            return "waiting for an agent with \(Self.describe(capability)): \(count) busy, \(line)"
        case .starting(let agent):
            return "placed on agent \(agent), waiting for it to start"
        case .serialGroup(let name, let ahead):
            return "waiting for its serial group \(name): \(ahead) job\(ahead == 1 ? "" : "s") ahead"
        }
    }

    /// `docker` or `machine:<class>` in the words of a config.
    public static func describe(_ capability: String) -> String {
        if capability == "docker" { return "the Docker executor" }
        if capability.hasPrefix("docker:") { return "the Docker executor with resource class \(capability.dropFirst("docker:".count))" }
        if capability.hasPrefix("machine:") { return "resource class \(capability.dropFirst("machine:".count))" }
        return capability
    }
}
