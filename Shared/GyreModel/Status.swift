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
    case retried
    case notRunning = "not_running"
    case terminatedUnknown = "terminated-unknown"
    case unauthorized

    /// A terminal status: the job will not change again (short of a rerun).
    public var isFinal: Bool {
        switch self {
        case .success, .failed, .notRun, .canceled, .infrastructureFail, .timedout, .retried, .terminatedUnknown,
             .unauthorized:
            return true
        case .blocked, .queued, .running, .onHold, .notRunning:
            return false
        }
    }

    /// A final status other than success that counts as a failure of the workflow.
    public var isFailure: Bool {
        switch self {
        case .failed, .infrastructureFail, .timedout, .terminatedUnknown, .unauthorized: return true
        default: return false
        }
    }

    /// The status of a parallel job from the statuses of its runs: nil while
    /// any run is unfinished; otherwise failed if any failed, then
    /// infrastructure_fail, timedout, canceled, else success.
    public static func combined(_ runs: [JobStatus]) -> JobStatus? {
        guard !runs.isEmpty, runs.allSatisfy(\.isFinal) else { return nil }
        for status in [JobStatus.failed, .infrastructureFail, .timedout, .terminatedUnknown, .unauthorized, .canceled]
            where runs.contains(status) {
            return status
        }
        return runs.allSatisfy { $0 == .success } ? .success : .failed
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
