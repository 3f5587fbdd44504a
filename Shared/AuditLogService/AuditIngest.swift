import Foundation
import GyreAMQP
import GyreModel
import GyreProtocol
import GyreServiceKit
import GyreStore
import Logging
import Metrics
import ServiceLifecycle

/// Consumes `audit.event` messages and stores their events in batches: one
/// `INSERT` for everything that arrived within `linger` of the batch's first
/// message (or while the previous batch was being written), then every
/// message of the batch is acked (after the commit). Nobody waits for audit
/// events, and an `INSERT` per message would cost more than the message.
/// A duplicate delivery stores nothing twice (the event id is the primary
/// key). Replicas compete for the queue. On graceful shutdown it stops
/// taking deliveries and stores what it holds.
struct AuditIngest: Service {
    let consumer: AMQPConsumer
    let store: AuditStore
    let batchSize: Int
    let linger: Duration
    let gate: StartupGate
    let logger: Logger
    let stored = Counter(label: "gyre_audit_events_stored_total")
    let duplicates = Counter(label: "gyre_audit_events_duplicate_total")

    func run() async throws {
        await gate.wait()
        let deliveries = consumer.deliveries()
        let buffer = DeliveryBuffer()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                for await delivery in deliveries.cancelOnGracefulShutdown() { await buffer.append(delivery) }
                await buffer.finish()
            }
            group.addTask {
                while await buffer.wait() {
                    if await buffer.count < batchSize { try? await Task.sleep(for: linger) }
                    guard let batch = await buffer.take(max: batchSize) else { break }
                    await handle(batch)
                }
            }
        }
        consumer.stop()
    }

    func handle(_ batch: [AMQPDelivery]) async {
        var accepted: [AMQPDelivery] = []
        for delivery in batch {
            guard delivery.type == nil || delivery.type == AuditEventsRecorded.type else {
                logger.error("dropping a message of another type on the audit queue",
                             metadata: ["message_id": "\(delivery.messageId ?? "-")", "type": "\(delivery.type ?? "-")"])
                consumer.reject(delivery, requeue: false)
                continue
            }
            accepted.append(delivery)
        }
        guard !accepted.isEmpty else { return }
        do {
            // The bodies go to Postgres as they are: it reads the events' fields itself.
            let (events, inserted) = try await store.insert(messages: accepted.map { String(decoding: $0.body, as: UTF8.self) })
            for delivery in accepted { consumer.ack(delivery) }
            stored.increment(by: inserted)
            if inserted < events { duplicates.increment(by: events - inserted) }
            logger.debug("audit events stored", metadata: ["events": "\(events)", "new": "\(inserted)"])
        } catch where accepted.count > 1 {
            // One message may be what fails: store them one by one, so the others are not held back.
            for delivery in accepted { await handle([delivery]) }
        } catch {
            let delivery = accepted[0]
            if delivery.redelivered, StoreError.isRefusal(error) {
                logger.error("dropping an audit message the database refuses (not a readable AuditEventsRecorded)",
                             metadata: ["message_id": "\(delivery.messageId ?? "-")", "error": "\(StoreError.reason(error))"])
                consumer.reject(delivery, requeue: false)
                return
            }
            logger.warning("audit events not stored; the message goes back to the queue",
                           metadata: ["message_id": "\(delivery.messageId ?? "-")", "error": "\(StoreError.reason(error))"])
            try? await Task.sleep(for: .milliseconds(500))
            consumer.reject(delivery, requeue: true)
        }
    }
}
