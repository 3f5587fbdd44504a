/// Whether a build agent takes new jobs, from two separate decisions: the
/// agent's own (`accepting` in its heartbeat: false once it is shutting
/// down) and the installation admin's (`drained`, kept by the server). An
/// agent that does not take new jobs still finishes the ones it runs and
/// keeps heartbeating, so their leases stay alive.
public enum AgentAvailability: String, Sendable, Equatable, CaseIterable {
    case accepting
    /// An admin drained it: no new jobs until it is undrained.
    case drained
    /// The agent said it is shutting down (its heartbeat's `accepting` is false).
    case shuttingDown = "shutting_down"

    /// The agent's word comes first: a drained agent that is shutting down is shown shutting down.
    public init(accepting: Bool, drained: Bool) {
        if !accepting {
            self = .shuttingDown
        } else {
            self = drained ? .drained : .accepting
        }
    }

    /// Only an accepting agent is given new jobs.
    public var takesNewJobs: Bool { self == .accepting }

    /// How the admin page says it.
    public var label: String {
        switch self {
        case .accepting: return "accepting"
        case .drained: return "drained"
        case .shuttingDown: return "shutting down"
        }
    }
}
