import Foundation
import GyreStore
import Logging
import ServiceLifecycle
import Synchronization

/// Advances workflows in batches: every `job.finished` that arrives while a
/// batch is being written joins the next one, and each batch advances all
/// its workflows in one transaction (a workflow named by several messages
/// once). A handler returns only when a batch that started after its message
/// arrived has committed, so its message is still acked only after its work
/// is durable; if the batch fails, every message in it is handed back.
final class WorkflowAdvancer: Service, Sendable {
    typealias Waiter = CheckedContinuation<Void, any Error>

    private struct State {
        var pending: [UUID: [Waiter]] = [:]
    }

    let store: DispatcherStore
    let maxBatch: Int
    let logger: Logger
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation

    init(store: DispatcherStore, maxBatch: Int = 64, logger: Logger) {
        self.store = store
        self.maxBatch = maxBatch
        self.logger = logger
        (wakeups, waker) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Advances `workflow` (with whatever else is waiting); returns once that is committed.
    func advance(_ workflow: UUID) async throws {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            state.withLock { $0.pending[workflow, default: []].append(waiter) }
            waker.yield()
        }
    }

    /// Added before the consumers that call it, so on shutdown it stops after
    /// they have drained (ServiceGroup stops services in reverse order).
    func run() async throws {
        for await _ in wakeups.cancelOnGracefulShutdown() {
            await drain()
        }
        await drain()
    }

    private func drain() async {
        while let batch = take() {
            do {
                try await store.advance(workflows: batch.keys.sorted { $0.uuidString < $1.uuidString })
                for waiter in batch.values.joined() { waiter.resume() }
            } catch {
                for waiter in batch.values.joined() { waiter.resume(throwing: error) }
            }
        }
    }

    private func take() -> [UUID: [Waiter]]? {
        state.withLock { state in
            guard !state.pending.isEmpty else { return nil }
            if state.pending.count <= maxBatch {
                defer { state.pending = [:] }
                return state.pending
            }
            var batch: [UUID: [Waiter]] = [:]
            for key in state.pending.keys.prefix(maxBatch) { batch[key] = state.pending.removeValue(forKey: key) }
            return batch
        }
    }
}
