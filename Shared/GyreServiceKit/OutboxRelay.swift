import Foundation
import GyreAMQP
import GyreProtocol
import GyreStore
import Logging
import ServiceLifecycle

/// Moves committed outbox rows to RabbitMQ with publisher confirms, deleting
/// them only once the broker has them. Woken at once by `notify()` after a
/// commit; a slow sweep picks up rows a crashed process left behind.
public final class OutboxRelay: Service, Sendable {
    let database: Database
    let publisher: AMQPPublisher
    let exchange: String
    let gate: StartupGate
    let logger: Logger
    let sweep: Duration
    private let wakeups: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation

    public init(database: Database, publisher: AMQPPublisher, exchange: String, gate: StartupGate, logger: Logger,
                sweep: Duration = .seconds(1)) {
        self.database = database
        self.publisher = publisher
        self.exchange = exchange
        self.gate = gate
        self.logger = logger
        self.sweep = sweep
        (wakeups, waker) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// Something was committed to the outbox: relay it now.
    public func notify() {
        waker.yield()
    }

    public func run() async throws {
        await gate.wait()
        let waker = self.waker
        let sweep = self.sweep
        await withDiscardingTaskGroup { group in
            group.addTask {
                while !Task.isCancelled {
                    try? await Task.sleep(for: sweep)
                    waker.yield()
                }
            }
            for await _ in wakeups.cancelOnGracefulShutdown() {
                await drain()
            }
            group.cancelAll()
        }
        await drain()
    }

    func drain() async {
        do {
            while try await relayBatch() == 500 {}
        } catch {
            logger.warning("outbox relay failed; will retry", metadata: ["error": "\(StoreError.reason(error))"])
        }
    }

    func relayBatch() async throws -> Int {
        try await Outbox.relay(database, limit: 500) { rows in
            try await publisher.publish(Self.messages(rows, exchange: exchange))
        }
    }

    /// The messages for a batch of outbox rows: one each, except that the
    /// batch's audit events travel as one `AuditEventsRecorded` (each event
    /// keeps its id, so a message relayed twice, merged differently, still
    /// stores every event once).
    static func messages(_ rows: [Outbox.Row], exchange: String) -> [AMQPOutgoingMessage] {
        func message(_ row: Outbox.Row, body: String) -> AMQPOutgoingMessage {
            AMQPOutgoingMessage(exchange: exchange, routingKey: row.routingKey, body: Array(body.utf8),
                                messageId: row.messageId.uuidString.lowercased(), type: row.type)
        }
        let audit = rows.filter { $0.type == AuditEventsRecorded.type }
        guard audit.count > 1, let merged = AuditEvents.merge(audit.map(\.body)) else {
            return rows.map { message($0, body: $0.body) }
        }
        return rows.filter { $0.type != AuditEventsRecorded.type }.map { message($0, body: $0.body) }
            + [message(audit[0], body: merged)]
    }
}
