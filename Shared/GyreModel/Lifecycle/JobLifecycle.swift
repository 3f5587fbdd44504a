import Foundation

/// The life of one job (or one parallel run of a job): the only place that
/// decides which status a job may move to and what that move causes.
///
/// A pure value in the style of postgres-nio's `ConnectionStateMachine`:
/// storage code loads a job's row into a `JobLifecycle`, applies an event,
/// writes the new state and sends the returned actions (through the outbox,
/// in the same transaction). No I/O here, so every transition is tested
/// without a database.
///
/// **Leases and fencing.** Placing a job on an agent gives that agent a lease
/// whose fencing token is the attempt number (1, 2, ...). Only the holder of
/// the current lease may start or finish the job; events of any other
/// attempt are stale and ignored. A lease ends when its attempt finishes,
/// when the job is canceled, or when the agent is lost (it stopped
/// heartbeating for longer than the lease period, or its heartbeats show the
/// assignment never arrived). A lost lease puts the job back in the queue
/// with its original place in line and tells the old agent to stop; the next
/// placement hands out the next token. So a job has at most one attempt
/// whose work counts, and every other attempt is told to stop.
public struct JobLifecycle: Sendable, Equatable {
    /// Who holds a job and with which fencing token.
    public struct Lease: Sendable, Hashable {
        public var agent: UUID
        public var token: Int

        public init(agent: UUID, token: Int) {
            self.agent = agent
            self.token = token
        }
    }

    public enum State: Sendable, Equatable {
        /// Waiting for the jobs it requires (or, later, for its serial group).
        case blocked
        /// An approval job waiting for a person.
        case onHold
        /// Ready, waiting for an agent. `lastToken` is the token of the last
        /// lease (0 if it never ran); the next placement hands out `lastToken + 1`.
        case queued(lastToken: Int)
        /// Given to an agent that has not reported the start yet.
        case placed(Lease)
        /// The agent reported the start.
        case running(Lease)
        /// Final. `lastToken` is the attempt that ended it (0 if it never ran).
        case finished(JobStatus, lastToken: Int)
    }

    /// Why an agent is told to stop an attempt.
    public enum StopReason: String, Sendable, Codable, Equatable {
        /// A person (or auto-cancel) canceled the job.
        case canceled
        /// The attempt lost its lease (the job was queued again or moved on).
        case superseded
    }

    public enum Event: Sendable, Equatable {
        /// Every requirement ended as required: wait for an agent.
        case ready
        /// An approval job's requirements are met: wait for a person.
        case hold
        /// A person approved the approval job.
        case approved
        /// A no-op job's requirements are met: it succeeds at once.
        case passed
        /// A requirement ended otherwise: the job will not run.
        case skipped
        /// Hold a waiting job back (a serial group that is busy).
        case blocked
        /// Release a job held back by `blocked`.
        case unblocked
        /// The scheduler chose `agent` for the job.
        case placed(agent: UUID)
        /// The agent reported that attempt `token` started.
        case started(agent: UUID, token: Int)
        /// A step of attempt `token` started, printed or ended.
        case step(token: Int)
        /// The agent reported that attempt `token` ended with `status`.
        case finished(token: Int, status: JobStatus)
        /// The agent stopped heartbeating for longer than the lease period.
        case agentLost(agent: UUID)
        /// The agent heartbeats but not for attempt `token`: the assignment never arrived.
        case leaseExpired(agent: UUID, token: Int)
        /// A heartbeat says `agent` runs attempt `token`.
        case heartbeat(agent: UUID, token: Int)
        /// A person canceled the job (or its workflow).
        case cancel
        /// The job waited longer than the operator allows while no agent offered what it needs.
        case unplaceable
    }

    public enum Action: Sendable, Equatable {
        /// Send the job (attempt `token`) to `agent`.
        case assign(agent: UUID, token: Int)
        /// Tell `agent` to stop attempt `token`.
        case stop(agent: UUID, token: Int, reason: StopReason)
        /// Close the step rows of attempt `token` that are still open.
        case closeSteps(token: Int, reason: String)
        /// Record the start time of the attempt.
        case recordStart
        /// The job ended: tell the workflow (`JobFinished`).
        case announceFinished(JobStatus)
    }

    public enum Transition: Sendable, Equatable {
        /// The event was valid here; the state may have changed; do these.
        case applied([Action])
        /// A stale, duplicate or out-of-place event: write nothing.
        case ignored(String)

        public var actions: [Action] {
            if case .applied(let actions) = self { return actions }
            return []
        }

        public var isApplied: Bool {
            if case .applied = self { return true }
            return false
        }
    }

    public private(set) var state: State

    public init(_ state: State) {
        self.state = state
    }

    /// The current (or last) fencing token.
    public var token: Int {
        switch state {
        case .blocked, .onHold: return 0
        case .queued(let token), .finished(_, let token): return token
        case .placed(let lease), .running(let lease): return lease.token
        }
    }

    /// The lease, while an agent holds the job.
    public var lease: Lease? {
        switch state {
        case .placed(let lease), .running(let lease): return lease
        default: return nil
        }
    }

    /// The job status that this state is stored and reported as.
    public var status: JobStatus {
        switch state {
        case .blocked: return .blocked
        case .onHold: return .onHold
        case .queued, .placed: return .queued
        case .running: return .running
        case .finished(let status, _): return status
        }
    }

    public var isFinished: Bool {
        if case .finished = state { return true }
        return false
    }

    /// Applies `event`, returning what to do about it.
    @discardableResult
    public mutating func apply(_ event: Event) -> Transition {
        switch (state, event) {
        // Workflow: requirements, approval.
        case (.blocked, .ready), (.blocked, .unblocked):
            state = .queued(lastToken: 0)
            return .applied([])
        case (.blocked, .hold):
            state = .onHold
            return .applied([])
        case (.blocked, .skipped), (.onHold, .skipped):
            state = .finished(.notRun, lastToken: 0)
            return .applied([])
        case (.blocked, .passed), (.onHold, .approved):
            state = .finished(.success, lastToken: 0)
            return .applied([])
        case (.queued(let token), .blocked):
            state = token == 0 ? .blocked : state
            return token == 0 ? .applied([]) : .ignored("a job that already ran is not held back")

        // Placement and the agent's reports.
        case (.queued(let last), .placed(let agent)):
            let lease = Lease(agent: agent, token: last + 1)
            state = .placed(lease)
            return .applied([.assign(agent: agent, token: lease.token)])
        case (.placed(let lease), .started(let agent, let token)) where lease == Lease(agent: agent, token: token):
            state = .running(lease)
            return .applied([.recordStart])
        case (.placed(let lease), .step(let token)), (.running(let lease), .step(let token)):
            return lease.token == token ? .applied([]) : .ignored("attempt \(token) is not current (\(lease.token) is)")
        case (.finished(_, let last), .step(let token)):
            // The last steps of a canceled attempt still close their rows.
            return last == token && last > 0 ? .applied([]) : .ignored("attempt \(token) is not current")
        case (.placed(let lease), .finished(let token, let status)), (.running(let lease), .finished(let token, let status)):
            guard lease.token == token else { return .ignored("attempt \(token) is not current (\(lease.token) is)") }
            state = .finished(status, lastToken: token)
            return .applied([.announceFinished(status)])

        // Losing a lease.
        case (.placed(let lease), .agentLost(let agent)), (.running(let lease), .agentLost(let agent)):
            guard lease.agent == agent else { return .ignored("the job is on another agent") }
            return requeue(lease, because: "its agent stopped heartbeating")
        case (.placed(let lease), .leaseExpired(let agent, let token)),
             (.running(let lease), .leaseExpired(let agent, let token)):
            guard lease == Lease(agent: agent, token: token) else { return .ignored("not the current lease") }
            return requeue(lease, because: "the assignment never reached its agent")
        case (.placed(let lease), .heartbeat(let agent, let token)), (.running(let lease), .heartbeat(let agent, let token)):
            if lease == Lease(agent: agent, token: token) { return .applied([]) }
            return token < lease.token || lease.agent != agent
                ? .applied([.stop(agent: agent, token: token, reason: .superseded)])
                : .ignored("a heartbeat for an attempt not yet placed")
        case (.queued(let last), .heartbeat(let agent, let token)), (.finished(_, let last), .heartbeat(let agent, let token)):
            // The attempt lost its lease (queued again) or the job moved on: the
            // agent must stop it. The attempt that ended the job is left alone
            // (it is only cleaning up), unless the job was canceled: then the
            // cancel is repeated, in case it reached the agent before the assignment.
            if case .finished(let status, _) = state, token == last {
                return status == .canceled ? .applied([.stop(agent: agent, token: token, reason: .canceled)])
                    : .ignored("the attempt that ended the job")
            }
            return token <= last ? .applied([.stop(agent: agent, token: token, reason: .superseded)])
                : .ignored("a heartbeat for an attempt not yet placed")

        case (.queued(let last), .unplaceable):
            state = .finished(.failed, lastToken: last)
            return .applied([.announceFinished(.failed)])

        // Cancel.
        case (.blocked, .cancel), (.onHold, .cancel):
            state = .finished(.canceled, lastToken: 0)
            return .applied([])
        case (.queued(let last), .cancel):
            state = .finished(.canceled, lastToken: last)
            return .applied([])
        case (.placed(let lease), .cancel), (.running(let lease), .cancel):
            state = .finished(.canceled, lastToken: lease.token)
            return .applied([.stop(agent: lease.agent, token: lease.token, reason: .canceled)])

        case (.finished, _):
            return .ignored("the job has finished")
        default:
            return .ignored("\(event) does not apply to a job that is \(status.rawValue)")
        }
    }

    private mutating func requeue(_ lease: Lease, because reason: String) -> Transition {
        state = .queued(lastToken: lease.token)
        return .applied([
            .stop(agent: lease.agent, token: lease.token, reason: .superseded),
            .closeSteps(token: lease.token, reason: "attempt \(lease.token) ended: \(reason); the job was queued again"),
        ])
    }
}

extension JobLifecycle {
    /// The lifecycle of a stored job row: its status, current attempt and agent.
    /// A `queued` row with an agent is placed; without one it waits.
    public init(status: JobStatus, attempt: Int, agent: UUID?) {
        switch status {
        case .blocked: self.init(.blocked)
        case .onHold: self.init(.onHold)
        case .queued, .notRunning:
            if let agent { self.init(.placed(Lease(agent: agent, token: attempt))) } else { self.init(.queued(lastToken: attempt)) }
        case .running:
            if let agent { self.init(.running(Lease(agent: agent, token: attempt))) } else { self.init(.queued(lastToken: attempt)) }
        default: self.init(.finished(status, lastToken: attempt))
        }
    }

    /// The agent column of the row for this state (nil when no agent holds the job).
    public var agent: UUID? { lease?.agent }
}
