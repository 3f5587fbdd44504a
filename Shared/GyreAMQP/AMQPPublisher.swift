import CGyreShims
import CRabbitMQ
import Dispatch
import Logging
import Synchronization

/// Publishes with publisher confirms.
///
/// One connection, owned by one serial dispatch queue (all librabbitmq calls happen there,
/// so concurrent `publish` calls are serialized). The connection is opened lazily and the
/// topology declared on every (re)connect. After an error the connection is dropped and the
/// next call reconnects; before each call the socket is checked without blocking, so a
/// broker restart is noticed and the next publish goes to a fresh connection.
public final class AMQPPublisher: Sendable {
    private let queue: DispatchQueue
    private let session: Mutex<PublisherSession>
    private let closed = Atomic<Bool>(false)

    /// Creates a publisher; no connection is made until the first `publish` or `check`.
    public init(config: AMQPConfig, topology: AMQPTopology, logger: Logger) {
        self.queue = DispatchQueue(label: "gyre.amqp.publisher")
        self.session = Mutex(PublisherSession(config: config, topology: topology, logger: logger))
    }

    deinit {
        session.withLock { $0.drop(graceful: true) }
    }

    /// Publishes the messages and returns only when the broker has confirmed (basic.ack) every one.
    ///
    /// All messages are written first and the confirms awaited together (`multiple` acks are
    /// handled), so a batch costs one round trip. Throws `.publishNotConfirmed` if any message
    /// was nacked (the others were confirmed), `.timeout` if the confirms did not arrive within
    /// ``AMQPConfig/operationTimeout``, `.connectionFailed`/`.loginFailed`/`.channelError` if the
    /// connection could not be made or dropped before confirmation (then none, some or all of
    /// the messages may have been routed: retry the batch; consumers de-duplicate by message id),
    /// and `.closed` after ``close()``. Messages published to a routing key with no bound queue
    /// are confirmed by the broker and dropped; that is not an error. An empty array is a no-op.
    public func publish(_ messages: [AMQPOutgoingMessage]) async throws(AMQPError) {
        guard !messages.isEmpty else { return }
        try await run { session throws(AMQPError) in try session.publish(messages) }
    }

    /// Opens the connection if needed (declaring the topology) and verifies it with a cheap
    /// broker round trip (basic.qos); for health checks. Throws if no connection can be made.
    public func check() async throws(AMQPError) {
        try await run { session throws(AMQPError) in try session.check() }
    }

    /// Deletes a queue (unconditionally). Mostly for tests and administration.
    public func deleteQueue(_ name: String) async throws(AMQPError) {
        try await run { session throws(AMQPError) in
            let connection = try session.connection()
            do throws(AMQPError) { try connection.deleteQueue(name) } catch { session.drop(graceful: false); throw error }
        }
    }

    /// Deletes an exchange (unconditionally). Mostly for tests and administration.
    public func deleteExchange(_ name: String) async throws(AMQPError) {
        try await run { session throws(AMQPError) in
            let connection = try session.connection()
            do throws(AMQPError) { try connection.deleteExchange(name) } catch { session.drop(graceful: false); throw error }
        }
    }

    /// Closes the connection; later calls throw `.closed`. Idempotent, does not wait.
    public func close() {
        closed.store(true, ordering: .sequentiallyConsistent)
        queue.async {
            self.session.withLock { $0.close() }
        }
    }

    private func run(_ body: @escaping @Sendable (PublisherSession) throws(AMQPError) -> Void) async throws(AMQPError) {
        if closed.load(ordering: .sequentiallyConsistent) { throw AMQPError(.closed, "publisher is closed") }
        let result: Result<Void, AMQPError> = await withCheckedContinuation { continuation in
            queue.async {
                let r: Result<Void, AMQPError> = self.session.withLock { s in
                    do throws(AMQPError) {
                        try body(s)
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
                continuation.resume(returning: r)
            }
        }
        try result.get()
    }
}

/// The publisher's connection state, used only on the publisher's serial queue.
final class PublisherSession {
    let config: AMQPConfig
    let topology: AMQPTopology
    let logger: Logger
    private var conn: AMQPConnection?
    private var nextTag: UInt64 = 1
    private var isClosed = false

    init(config: AMQPConfig, topology: AMQPTopology, logger: Logger) {
        self.config = config
        self.topology = topology
        self.logger = logger
    }

    func close() {
        isClosed = true
        drop(graceful: true)
    }

    func drop(graceful: Bool) {
        guard let c = conn else { return }
        if graceful { c.closeGracefully() }
        conn = nil
    }

    /// The open connection, (re)connecting if there is none or the socket shows it is dead.
    func connection() throws(AMQPError) -> AMQPConnection {
        if isClosed { throw AMQPError(.closed, "publisher is closed") }
        if let c = conn {
            if let problem = c.probe() {
                logger.warning("AMQP publisher connection lost; reconnecting",
                               metadata: ["error": "\(problem.message)"])
                conn = nil
            } else {
                return c
            }
        }
        let c = try AMQPConnection(config: config, role: "publisher")
        try c.confirmSelect()
        try c.declare(topology)
        conn = c
        nextTag = 1
        logger.info("AMQP publisher connected", metadata: ["broker": "\(config)"])
        return c
    }

    func check() throws(AMQPError) {
        let c = try connection()
        do throws(AMQPError) {
            try c.qos(prefetch: 0)
        } catch {
            drop(graceful: false)
            throw error
        }
    }

    func publish(_ messages: [AMQPOutgoingMessage]) throws(AMQPError) {
        let c = try connection()
        do throws(AMQPError) {
            try publish(messages, on: c)
            amqp_maybe_release_buffers(c.state)
        } catch {
            if error.code != .publishNotConfirmed {
                logger.warning("AMQP publish failed; dropping the connection",
                               metadata: ["error": "\(error.message)", "messages": "\(messages.count)"])
                drop(graceful: false)
            }
            throw error
        }
    }

    private func publish(_ messages: [AMQPOutgoingMessage], on c: AMQPConnection) throws(AMQPError) {
        let first = nextTag
        for message in messages {
            let rc = message.body.withUnsafeBytes { body in
                gyre_amqp_publish(c.state, AMQPConnection.channel, message.exchange, message.routingKey,
                                  body.baseAddress, body.count, message.messageId, message.type,
                                  message.persistent ? 1 : 0, 0)
            }
            if rc != AMQP_STATUS_OK.rawValue {
                throw c.statusError(rc, "basic.publish to \"\(message.exchange)\" (\(message.routingKey))")
            }
            nextTag += 1
        }
        let last = nextTag - 1

        // Wait for every confirm in [first, last]. `low` is the lowest tag not yet settled.
        var settled = [Bool](repeating: false, count: messages.count)
        var remaining = messages.count
        var nacked = 0
        var low = first
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: config.operationTimeout)
        func settle(_ tag: UInt64, nack: Bool) {
            guard tag >= first, tag <= last, !settled[Int(tag - first)] else { return }
            settled[Int(tag - first)] = true
            remaining -= 1
            if nack { nacked += 1 }
        }
        while remaining > 0 {
            let left = clock.now.duration(to: deadline)
            guard left > .zero, let frame = try c.nextFrame(timeout: left) else {
                throw AMQPError(.timeout, "broker did not confirm \(remaining) of \(messages.count) messages within \(config.operationTimeout)")
            }
            guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { continue }
            var method = frame.payload.method
            var tag: UInt64 = 0
            var multiple: Int32 = 0
            var isNack: Int32 = 0
            if gyre_amqp_decode_confirm(&method, &tag, &multiple, &isNack) != 0 {
                if multiple != 0 {
                    while low <= tag && low <= last {
                        settle(low, nack: isNack != 0)
                        low += 1
                    }
                } else {
                    settle(tag, nack: isNack != 0)
                    while low <= last && settled[Int(low - first)] { low += 1 }
                }
            } else {
                try c.handleUnsolicited(frame)
            }
        }
        if nacked > 0 {
            throw AMQPError(.publishNotConfirmed, "broker nacked \(nacked) of \(messages.count) messages")
        }
    }
}
