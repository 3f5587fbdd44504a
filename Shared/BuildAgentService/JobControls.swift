import Foundation
import GyreProtocol
import Synchronization

/// The controls of the jobs this agent runs, so a `JobCancel` finds its job.
/// A cancel that arrives just before its assignment is remembered for a while.
final class JobControls: Sendable {
    private struct State {
        var running: [JobAttempt: JobControl] = [:]
        var canceledEarly: [(JobAttempt, ContinuousClock.Instant)] = []
    }
    private let state = Mutex(State())

    init() {}

    func begin(_ attempt: JobAttempt) -> JobControl {
        let control = JobControl()
        let canceled = state.withLock { state in
            state.running[attempt] = control
            return state.canceledEarly.contains { $0.0 == attempt }
        }
        if canceled { control.stop(.canceled) }
        return control
    }

    func end(_ attempt: JobAttempt) {
        _ = state.withLock { $0.running.removeValue(forKey: attempt) }
    }

    /// Cancels a running attempt; false when this agent does not run it.
    @discardableResult
    func cancel(_ attempt: JobAttempt) -> Bool {
        let control: JobControl? = state.withLock { state in
            if let control = state.running[attempt] { return control }
            let now = ContinuousClock.now
            state.canceledEarly.removeAll { now - $0.1 > .seconds(600) }
            state.canceledEarly.append((attempt, now))
            return nil
        }
        return control?.stop(.canceled) ?? false
    }
}
