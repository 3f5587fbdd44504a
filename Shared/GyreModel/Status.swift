/// Job status, spelled as the CircleCI API v2 spells it.
public enum JobStatus: String, Codable, Sendable, CaseIterable {
    case blocked            // waiting for jobs it requires
    case queued             // ready, waiting for an agent
    case running
    case success
    case failed
    case notRun = "not_run" // a job it required did not succeed
    case canceled
    case infrastructureFail = "infrastructure_fail"
    case timedout
    case onHold = "on_hold"

    /// A terminal status: the job will not change again (short of a rerun).
    public var isFinal: Bool {
        switch self {
        case .success, .failed, .notRun, .canceled, .infrastructureFail, .timedout: return true
        case .blocked, .queued, .running, .onHold: return false
        }
    }
}

/// Workflow status, as in API v2.
public enum WorkflowStatus: String, Codable, Sendable, CaseIterable {
    case success, running, failed, error, failing, canceled, unauthorized
    case notRun = "not_run"
    case onHold = "on_hold"

    public var isFinal: Bool {
        switch self {
        case .success, .failed, .error, .canceled, .unauthorized, .notRun: return true
        case .running, .failing, .onHold: return false
        }
    }
}

/// Pipeline state, as in API v2.
public enum PipelineState: String, Codable, Sendable, CaseIterable {
    case created, errored, pending
    case setupPending = "setup-pending"
    case setup
}

/// Step status as reported by the build agent.
public enum StepStatus: String, Codable, Sendable, CaseIterable {
    case running, success, failed, canceled
    case notRun = "not_run"
    case timedout
}
