import Foundation

/// Which waiting job goes to which agent: a pure choice, so the scheduler can
/// place a whole batch in one transaction and the rules are tested without I/O.
///
/// Rules: an agent takes only jobs whose capability (`docker`, or
/// `machine:<resource class>`) it offers, and no more than its free slots.
/// Projects take turns (one job each per round, the project whose oldest job
/// waited longest first), so one project's burst does not starve the others;
/// within a project the oldest job goes first. A job that no agent can take
/// now does not hold back the jobs behind it. Among the agents that can take
/// a job, the one with the most free slots gets it (spreads the load). Only
/// agents that take new jobs (`AgentAvailability`: not drained by an admin,
/// not shutting down) are given any.
public enum Placement {
    public struct WaitingJob: Sendable, Equatable {
        public var id: UUID
        public var capability: String
        public var project: String
        /// When the job first became ready (kept when it is queued again).
        public var queuedAt: Date

        public init(id: UUID, capability: String, project: String, queuedAt: Date) {
            self.id = id
            self.capability = capability
            self.project = project
            self.queuedAt = queuedAt
        }
    }

    public struct Agent: Sendable, Equatable {
        public var id: UUID
        public var capabilities: Set<String>
        public var free: Int
        public var availability: AgentAvailability

        public init(id: UUID, capabilities: Set<String>, free: Int, availability: AgentAvailability = .accepting) {
            self.id = id
            self.capabilities = capabilities
            self.free = free
            self.availability = availability
        }
    }

    public struct Choice: Sendable, Equatable {
        public var job: UUID
        public var agent: UUID

        public init(job: UUID, agent: UUID) {
            self.job = job
            self.agent = agent
        }
    }

    /// The placements for this round, in the order they were chosen.
    public static func choose(jobs: [WaitingJob], agents: [Agent]) -> [Choice] {
        var agents = agents.filter { $0.free > 0 && $0.availability.takesNewJobs }
        guard !agents.isEmpty, !jobs.isEmpty else { return [] }
        // Each project's jobs, oldest first (ties by id, so the choice is stable).
        let ordered = jobs.sorted { ($0.queuedAt, $0.id.uuidString) < ($1.queuedAt, $1.id.uuidString) }
        var queues: [String: [WaitingJob]] = [:]
        var projects: [String] = []
        for job in ordered {
            if queues[job.project] == nil { projects.append(job.project) }
            queues[job.project, default: []].append(job)
        }
        var choices: [Choice] = []
        var placedOne = true
        while placedOne && agents.contains(where: { $0.free > 0 }) {
            placedOne = false
            for project in projects {
                guard var queue = queues[project], !queue.isEmpty else { continue }
                // This project's oldest job that some agent can take now.
                for (position, job) in queue.enumerated() {
                    guard let index = bestAgent(for: job.capability, in: agents) else { continue }
                    agents[index].free -= 1
                    choices.append(Choice(job: job.id, agent: agents[index].id))
                    queue.remove(at: position)
                    placedOne = true
                    break
                }
                queues[project] = queue
            }
        }
        return choices
    }

    static func bestAgent(for capability: String, in agents: [Agent]) -> Int? {
        var best: Int?
        for index in agents.indices where agents[index].free > 0 && agents[index].capabilities.contains(capability) {
            if best == nil || agents[index].free > agents[best!].free { best = index }
        }
        return best
    }
}

/// The status of a parallel job from its runs' statuses (each run has a
/// `JobLifecycle` of its own; the job's row only follows them).
public enum ParallelRuns {
    /// nil when there are no runs. Final (`JobStatus.combined`) once every run
    /// ended; running once any run started or ended; queued while runs wait
    /// for agents; otherwise the runs' common waiting status.
    public static func status(of runs: [JobStatus]) -> JobStatus? {
        guard let first = runs.first else { return nil }
        if let combined = JobStatus.combined(runs) { return combined }
        if runs.contains(where: { $0 == .running || $0.isFinal }) { return .running }
        if runs.contains(where: { $0 == .queued || $0 == .notRunning }) { return .queued }
        return runs.allSatisfy { $0 == first } ? first : .blocked
    }
}
