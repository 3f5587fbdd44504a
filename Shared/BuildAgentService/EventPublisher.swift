import Foundation
import GyreAMQP
import GyreProtocol
import Logging
import ServiceLifecycle
import Synchronization

/// Sends job events to the output-processor in order, batching whatever
/// accumulated while the previous batch was being confirmed. Events stay
/// buffered (and are retried) while RabbitMQ is unreachable.
final class EventPublisher: Service, Sendable {
    let publisher: AMQPPublisher
    let exchange: String
    let logger: Logger
    private let buffer = Mutex<(events: [JobEvent], sent: Int, waiters: [(Int, CheckedContinuation<Void, Never>)])>(([], 0, []))
    private let wakeups: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation

    init(publisher: AMQPPublisher, exchange: String, logger: Logger) {
        self.publisher = publisher
        self.exchange = exchange
        self.logger = logger
        (wakeups, waker) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Output bytes queued and not yet confirmed, for `waitForRoom` (a job printing faster than the broker takes
    /// its output waits, instead of the agent buffering all of it).
    private let room = NSCondition()
    private let queuedOutput = Mutex(0)
    /// Above this many queued output bytes, `waitForRoom` blocks.
    static let outputLimit = 16 << 20

    /// Queues an event; returns its sequence number.
    @discardableResult
    func send(_ event: JobEvent) -> Int {
        let sequence = buffer.withLock { state -> Int in
            state.events.append(event)
            return state.sent + state.events.count
        }
        if case .output(_, _, let data) = event.kind { queuedOutput.withLock { $0 += data.count } }
        waker.yield()
        return sequence
    }

    /// Blocks the calling thread (a step's output reader, never a task of the
    /// cooperative pool) while more than `outputLimit` bytes of output wait to
    /// be confirmed: the job's writes then block on its full pipe.
    func waitForRoom() {
        guard queuedOutput.withLock({ $0 }) > Self.outputLimit else { return }
        room.lock()
        while queuedOutput.withLock({ $0 }) > Self.outputLimit {
            room.wait(until: Date().addingTimeInterval(0.1))
        }
        room.unlock()
    }

    /// Waits until every event queued so far is confirmed by the broker.
    func flush() async {
        let target = buffer.withLock { $0.sent + $0.events.count }
        await withCheckedContinuation { continuation in
            let done = buffer.withLock { state -> Bool in
                if state.sent >= target { return true }
                state.waiters.append((target, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }

    func run() async throws {
        // Stopped after the job consumer (added later, stopped earlier), so
        // every event of the jobs that finished during the drain goes out first.
        let waker = self.waker
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                await drain()
                if Task.isShuttingDownGracefully && buffer.withLock({ $0.events.isEmpty }) { break }
            }
        } onGracefulShutdown: {
            waker.yield()
        }
    }

    /// The oldest events, up to 500 of them or about 1 MB of output.
    static func nextBatch(from events: ArraySlice<JobEvent>) -> [JobEvent] {
        var bytes = 0
        var count = 0
        for event in events.prefix(500) {
            if case .output(_, _, let data) = event.kind { bytes += data.count }
            count += 1
            if bytes >= 1 << 20 { break }
        }
        return Array(events.prefix(count))
    }

    /// Consecutive batches (messages) of the oldest events, up to `maxMessages` of them: published together,
    /// they wait for one round of broker confirms instead of one each.
    static func nextBatches(from events: [JobEvent], maxMessages: Int = 8) -> [[JobEvent]] {
        var batches: [[JobEvent]] = []
        var rest = events[...]
        while batches.count < maxMessages, !rest.isEmpty {
            let batch = nextBatch(from: rest)
            batches.append(batch)
            rest = rest.dropFirst(batch.count)
        }
        return batches
    }

    private func drain() async {
        var delay = Duration.milliseconds(50)
        while true {
            let batches = buffer.withLock { Self.nextBatches(from: $0.events) }
            if batches.isEmpty { return }
            let count = batches.reduce(0) { $0 + $1.count }
            let outputBytes = batches.joined().reduce(0) { total, event in
                if case .output(_, _, let data) = event.kind { return total + data.count }
                return total
            }
            do {
                try await publisher.publish(batches.map { batch in
                    AMQPOutgoingMessage(
                        exchange: exchange, routingKey: Topology.RoutingKey.jobEvent,
                        body: JobEventBatch(events: batch).compactEncoded(), messageId: UUID().uuidString.lowercased(),
                        type: JobEventBatch.type)
                })
                delay = .milliseconds(50)
                queuedOutput.withLock { $0 -= outputBytes }
                room.broadcast()
                let ready = buffer.withLock { state -> [CheckedContinuation<Void, Never>] in
                    state.events.removeFirst(count)
                    state.sent += count
                    let sent = state.sent
                    let ready = state.waiters.filter { $0.0 <= sent }.map(\.1)
                    state.waiters.removeAll { $0.0 <= sent }
                    return ready
                }
                for waiter in ready { waiter.resume() }
            } catch {
                logger.warning("cannot send job events; retrying", metadata: ["error": "\(error)", "pending": "\(count)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
