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

    /// False if this attempt was already taken by this session.
    func begin(_ attempt: JobAttempt) -> Bool {
        jobs.withLock { jobs in
            if jobs.running.contains(attempt) || jobs.recent.contains(where: { $0.0 == attempt }) { return false }
            jobs.running.insert(attempt)
            return true
        }
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
                           running: Array(jobs.running) + jobs.recent.map(\.0), accepting: jobs.accepting)
        }
    }
}
