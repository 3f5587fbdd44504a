import Foundation
import GyreAMQP
import GyreStore
import Logging
import ServiceLifecycle

/// Feeds deliveries from RabbitMQ to handlers with bounded concurrency and
/// acks each one only after its handler returned (its work is committed).
/// A message that cannot be decoded is dropped with an error log; any other
/// failure hands the message back after a pause, so it is retried.
/// On graceful shutdown it stops taking deliveries, lets in-flight handlers
/// finish, then closes the connection (unacked messages go back to the queue).
public final class QueueConsumerService: Service, Sendable {
    public typealias Handler = @Sendable (AMQPDelivery) async throws -> Void

    let consumer: AMQPConsumer
    let handlers: [String: Handler]
    let concurrency: Int
    let gate: StartupGate?
    let afterHandling: @Sendable () -> Void
    let logger: Logger

    public init(consumer: AMQPConsumer, handlers: [String: Handler], concurrency: Int, gate: StartupGate?,
                logger: Logger, afterHandling: @escaping @Sendable () -> Void = {}) {
        self.consumer = consumer
        self.handlers = handlers
        self.concurrency = max(1, concurrency)
        self.gate = gate
        self.logger = logger
        self.afterHandling = afterHandling
    }

    public func run() async throws {
        if let gate { await gate.wait() }
        let deliveries = consumer.deliveries()
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            for await delivery in deliveries.cancelOnGracefulShutdown() {
                if inFlight >= concurrency {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { await self.handle(delivery) }
                inFlight += 1
            }
            await group.waitForAll()
        }
        consumer.stop()
    }

    func handle(_ delivery: AMQPDelivery) async {
        guard let handler = handlers[delivery.queue] else {
            logger.error("no handler for queue", metadata: ["queue": "\(delivery.queue)"])
            consumer.reject(delivery, requeue: false)
            return
        }
        do {
            try await handler(delivery)
            consumer.ack(delivery)
            afterHandling()
        } catch is DecodingError {
            logger.error("dropping a message that cannot be read",
                         metadata: ["queue": "\(delivery.queue)", "message_id": "\(delivery.messageId ?? "-")"])
            consumer.reject(delivery, requeue: false)
        } catch let error as StoreError where error.code == .notReady {
            // Ahead of a message another replica holds: back to the queue, soon tried again.
            logger.info("message ahead of its predecessors; retrying", metadata: ["reason": "\(error.message)"])
            try? await Task.sleep(for: .milliseconds(100))
            consumer.reject(delivery, requeue: true)
        } catch {
            logger.warning("handler failed; the message goes back to the queue",
                           metadata: ["queue": "\(delivery.queue)", "error": "\(StoreError.reason(error))"])
            try? await Task.sleep(for: .milliseconds(500))
            consumer.reject(delivery, requeue: true)
        }
    }
}
