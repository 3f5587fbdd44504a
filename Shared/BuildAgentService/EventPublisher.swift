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

    /// Queues an event; returns its sequence number.
    @discardableResult
    func send(_ event: JobEvent) -> Int {
        let sequence = buffer.withLock { state -> Int in
            state.events.append(event)
            return state.sent + state.events.count
        }
        waker.yield()
        return sequence
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
    static func nextBatch(from events: [JobEvent]) -> [JobEvent] {
        var bytes = 0
        var count = 0
        for event in events.prefix(500) {
            if case .output(_, _, let data) = event.kind { bytes += data.count }
            count += 1
            if bytes >= 1 << 20 { break }
        }
        return Array(events.prefix(count))
    }

    private func drain() async {
        var delay = Duration.milliseconds(50)
        while true {
            let batch = buffer.withLock { Self.nextBatch(from: $0.events) }
            if batch.isEmpty { return }
            do {
                try await publisher.publish([AMQPOutgoingMessage(
                    exchange: exchange, routingKey: Topology.RoutingKey.jobEvent,
                    body: MessageCodec.encode(JobEventBatch(events: batch)), messageId: UUID().uuidString.lowercased(),
                    type: JobEventBatch.type)])
                delay = .milliseconds(50)
                let ready = buffer.withLock { state -> [CheckedContinuation<Void, Never>] in
                    state.events.removeFirst(batch.count)
                    state.sent += batch.count
                    let sent = state.sent
                    let ready = state.waiters.filter { $0.0 <= sent }.map(\.1)
                    state.waiters.removeAll { $0.0 <= sent }
                    return ready
                }
                for waiter in ready { waiter.resume() }
            } catch {
                logger.warning("cannot send job events; retrying", metadata: ["error": "\(error)", "pending": "\(batch.count)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}
