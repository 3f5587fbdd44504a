import Foundation

/// One run of a workflow or a job, as Insights counts it.
public struct InsightsRun: Sendable, Equatable {
    /// How a run ended, for counting: a success, a failure, something else
    /// that ended (canceled, not run), or not ended yet (running, on hold).
    public enum Outcome: String, Sendable, Equatable {
        case success, failed, otherFinal, unfinished
    }

    public var outcome: Outcome
    public var branch: String?
    public var revision: String?
    public var createdAt: Date
    /// When it started (a workflow starts when it is created; a job when an agent starts it).
    public var startedAt: Date?
    public var stoppedAt: Date?

    public init(outcome: Outcome, branch: String? = nil, revision: String? = nil, createdAt: Date,
                startedAt: Date? = nil, stoppedAt: Date? = nil) {
        self.outcome = outcome
        self.branch = branch
        self.revision = revision
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.stoppedAt = stoppedAt
    }

    /// Seconds from start to stop, for a run that finished as a success or a failure (nil otherwise).
    public var duration: Double? {
        guard outcome == .success || outcome == .failed, let startedAt, let stoppedAt, stoppedAt >= startedAt else {
            return nil
        }
        return stoppedAt.timeIntervalSince(startedAt)
    }
}

extension InsightsRun.Outcome {
    public init(_ status: WorkflowStatus) {
        switch status {
        case .success: self = .success
        case .failed, .error, .unauthorized: self = .failed
        case .canceled, .notRun: self = .otherFinal
        case .running, .failing, .onHold: self = .unfinished
        }
    }

    public init(_ status: JobStatus) {
        switch status {
        case .success: self = .success
        case .failed, .infrastructureFail, .timedout, .terminatedUnknown, .unauthorized: self = .failed
        case .canceled, .notRun, .retried: self = .otherFinal
        case .blocked, .queued, .running, .onHold, .notRunning: self = .unfinished
        }
    }
}

extension WorkflowStatus {
    /// The status as the Insights runs list spells it (`success`, `failed`, `error`, `canceled`,
    /// `unauthorized`); nil for a run that has not ended or ended otherwise (`not_run`).
    public var insightsStatus: String? {
        switch self {
        case .success, .failed, .error, .canceled, .unauthorized: return rawValue
        case .running, .failing, .onHold, .notRun: return nil
        }
    }
}
