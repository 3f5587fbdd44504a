import Foundation
import Synchronization

/// Why a job was stopped before its steps were done.
enum JobStop: Sendable, Equatable {
    case canceled
    case timedOut(Duration)
}

/// Stopping one running job: a cancel message or the job's time limit stops
/// it; from then on the job's own step events are dropped (its processes are
/// being killed) and the supervisor reports the open steps itself.
final class JobControl: Sendable {
    private enum Phase { case running, stopped(JobStop), completed }
    private struct State {
        var phase: Phase = .running
        var open: [Int: StepHandle] = [:]
        var lastStarted = 0
        var waiters: [CheckedContinuation<JobStop?, Never>] = []
    }
    private let state = Mutex(State())

    init() {}

    /// Stops the job unless it already stopped or completed; false if it did.
    @discardableResult
    func stop(_ reason: JobStop) -> Bool {
        let waiters: [CheckedContinuation<JobStop?, Never>]? = state.withLock { state in
            guard case .running = state.phase else { return nil }
            state.phase = .stopped(reason)
            defer { state.waiters = [] }
            return state.waiters
        }
        guard let waiters else { return false }
        for waiter in waiters { waiter.resume(returning: reason) }
        return true
    }

    /// The steps ran to their end; a later stop is ignored.
    func complete() {
        let waiters: [CheckedContinuation<JobStop?, Never>] = state.withLock { state in
            guard case .running = state.phase else { return [] }
            state.phase = .completed
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: nil) }
    }

    /// Waits until the job is stopped (its reason) or completed (nil).
    func outcome() async -> JobStop? {
        await withCheckedContinuation { continuation in
            let ready: JobStop?? = state.withLock { state in
                switch state.phase {
                case .running:
                    state.waiters.append(continuation)
                    return .none
                case .stopped(let reason): return .some(reason)
                case .completed: return .some(nil)
                }
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    var isStopped: Bool {
        state.withLock { if case .stopped = $0.phase { return true } else { return false } }
    }

    /// A step started; false once the job is stopped (its event is dropped).
    func started(_ handle: StepHandle) -> Bool {
        state.withLock { state in
            guard case .running = state.phase else { return false }
            state.open[handle.index] = handle
            state.lastStarted = max(state.lastStarted, handle.index)
            return true
        }
    }

    /// A step finished; false once the job is stopped (its event is dropped).
    func finished(_ handle: StepHandle) -> Bool {
        state.withLock { state in
            if case .stopped = state.phase { return false }
            state.open[handle.index] = nil
            return true
        }
    }

    /// Steps started and not finished, and the highest step index started.
    var openSteps: (handles: [StepHandle], lastStarted: Int) {
        state.withLock { ($0.open.values.sorted { $0.index < $1.index }, $0.lastStarted) }
    }
}
