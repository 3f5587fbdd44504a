import Foundation
import GyreProtocol
import Synchronization

/// What this agent session runs now and ran recently (so that a heartbeat
/// racing a job's last events does not make the scheduler place it again).
final class AgentState: Sendable {
    let agentId: UUID
    let name: String
    let capabilities: [String]
    let capacity: Int
    private let jobs = Mutex<(running: Set<JobAttempt>, recent: [(JobAttempt, ContinuousClock.Instant)], accepting: Bool)>(
        ([], [], true))

    init(agentId: UUID, name: String, capabilities: [String], capacity: Int) {
        self.agentId = agentId
        self.name = name
        self.capabilities = capabilities
        self.capacity = capacity
    }

    /// What to do with an assignment.
    enum Admission: Equatable {
        /// Run it.
        case start
        /// This session already took this attempt (a relayed duplicate).
        case duplicate
        /// A later attempt of the same job was already given to this agent: this one is stale.
        case stale
        /// Run it once the older attempts (which lost their leases) have stopped.
        case supersedes([JobAttempt])
    }

    /// Registers `attempt` as running unless it is a duplicate or stale.
    /// Fencing: two attempts of one job never run side by side here; the
    /// older one is stopped first (`supersedes`).
    func begin(_ attempt: JobAttempt) -> Admission {
        jobs.withLock { jobs in
            if jobs.running.contains(attempt) || jobs.recent.contains(where: { $0.0 == attempt }) { return .duplicate }
            let sameJob = jobs.running.filter { $0.jobId == attempt.jobId }
                + jobs.recent.map(\.0).filter { $0.jobId == attempt.jobId }
            if sameJob.contains(where: { $0.attempt > attempt.attempt }) { return .stale }
            jobs.running.insert(attempt)
            let older = sameJob.filter { jobs.running.contains($0) && $0.attempt < attempt.attempt }
            return older.isEmpty ? .start : .supersedes(older)
        }
    }

    func isRunning(_ attempt: JobAttempt) -> Bool {
        jobs.withLock { $0.running.contains(attempt) }
    }

    func finish(_ attempt: JobAttempt) {
        jobs.withLock { jobs in
            jobs.running.remove(attempt)
            let now = ContinuousClock.now
            jobs.recent.append((attempt, now))
            jobs.recent.removeAll { now - $0.1 > .seconds(300) }
        }
    }

    var runningCount: Int { jobs.withLock { $0.running.count } }

    /// The attempts running now (containers of any other attempt are leftovers).
    var runningAttempts: Set<JobAttempt> { jobs.withLock { $0.running } }

    func stopAccepting() {
        jobs.withLock { $0.accepting = false }
    }

    var heartbeat: AgentHeartbeat {
        jobs.withLock { jobs in
            AgentHeartbeat(agentId: agentId, name: name, capabilities: capabilities, capacity: capacity,
                           running: Array(jobs.running), recent: jobs.recent.map(\.0), accepting: jobs.accepting)
        }
    }
}
