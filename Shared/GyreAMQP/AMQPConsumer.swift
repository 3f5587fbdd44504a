import CGyreShims
import CRabbitMQ
import Foundation
import Logging
import Synchronization

/// Consumes from several queues over one connection owned by one dedicated thread.
///
/// The thread never sleep-polls: it blocks in `poll()` on the AMQP socket and on an eventfd
/// that ``ack(_:)``, ``reject(_:requeue:)``, ``addQueue(_:bindings:)`` and ``stop()`` signal, so
/// deliveries and acks are handled as soon as they arrive. On a connection error it reconnects
/// with backoff (100 ms doubling to 2 s), redeclares the topology and the queues added with
/// ``addQueue(_:bindings:)``, and resumes consuming. Unacknowledged deliveries of a lost
/// connection are redelivered by the broker (with `redelivered == true`); acks for them are
/// dropped (see ``AMQPDelivery/generation``).
public final class AMQPConsumer: Sendable {
    private let core: ConsumerCore

    /// Creates a consumer; nothing happens until ``deliveries()`` is called.
    ///
    /// - Parameters:
    ///   - topology: declared on every (re)connect, before consuming.
    ///   - queues: queues to consume from (declared by `topology` or already existing).
    ///   - prefetch: maximum unacknowledged deliveries per queue (basic.qos, per consumer).
    public init(config: AMQPConfig, topology: AMQPTopology, queues: [String], prefetch: UInt16, logger: Logger) {
        core = ConsumerCore(config: config, topology: topology, queues: queues, prefetch: prefetch, logger: logger)
    }

    deinit {
        core.requestStop()
    }

    /// Starts the consumer thread (idempotent) and returns the stream of deliveries.
    ///
    /// There is a single stream per consumer (it supports a single iterating task); every
    /// call returns the same stream. It finishes after ``stop()``.
    public func deliveries() -> AsyncStream<AMQPDelivery> {
        core.start()
        return core.stream
    }

    /// Acknowledges a delivery (asynchronously, on the consumer thread). Acks for a delivery of
    /// an earlier connection generation, or after ``stop()`` has closed the connection, are dropped.
    public func ack(_ delivery: AMQPDelivery) {
        core.enqueue(.ack(generation: delivery.generation, tag: delivery.deliveryTag))
    }

    /// Rejects a delivery: with `requeue` the broker delivers it again (possibly to another
    /// consumer), without it the message is dropped (or dead-lettered, if so configured).
    public func reject(_ delivery: AMQPDelivery, requeue: Bool) {
        core.enqueue(.reject(generation: delivery.generation, tag: delivery.deliveryTag, requeue: requeue))
    }

    /// Declares a queue and its bindings and starts consuming from it; both are repeated after
    /// every reconnect (so an exclusive per-consumer queue survives reconnects). Bindings should
    /// refer to exchanges in the topology or that already exist. A queue already consumed is
    /// not consumed twice (its bindings are still declared).
    public func addQueue(_ queue: AMQPQueue, bindings: [AMQPBinding]) {
        core.addQueue(ConsumerCore.QueueAddition(queue: queue, bindings: bindings))
    }

    /// Whether the consumer currently has a connection with all its consumers set up.
    public var isConnected: Bool {
        core.shared.withLock { $0.connected }
    }

    /// The most recent connection error, if any (still reported after a successful reconnect).
    public var lastError: String? {
        core.shared.withLock { $0.lastError }
    }

    /// Stops consuming (basic.cancel), sends the acks and rejects already requested, closes the
    /// connection and finishes the stream. Returns immediately; use ``waitUntilStopped()`` to wait.
    /// Deliveries not acknowledged by then are redelivered by the broker to other consumers.
    public func stop() {
        core.requestStop()
    }

    /// Waits until the consumer thread has closed the connection and finished the stream
    /// (returns at once if the consumer was never started or is already stopped).
    public func waitUntilStopped() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let done = core.shared.withLock { s -> Bool in
                if s.finished || !s.started { return true }
                s.stopWaiters.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// State shared between the public API and the consumer thread.
final class ConsumerCore: Sendable {
    enum Operation: Sendable {
        case ack(generation: UInt64, tag: UInt64)
        case reject(generation: UInt64, tag: UInt64, requeue: Bool)
    }

    struct QueueAddition: Sendable {
        var queue: AMQPQueue
        var bindings: [AMQPBinding]
    }

    struct Shared {
        var started = false
        var stopRequested = false
        var finished = false
        var operations: [Operation] = []
        /// Every queue ever added (re-applied on each connect).
        var additions: [QueueAddition] = []
        /// Added since the thread last looked (applied on the live connection).
        var newAdditions: [QueueAddition] = []
        var connected = false
        var lastError: String?
        /// Generation of the live connection (0 = none yet).
        var generation: UInt64 = 0
        /// Whether the wake fd was signalled and not yet consumed by the thread.
        var wakePending = false
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
    }

    let config: AMQPConfig
    let topology: AMQPTopology
    let queues: [String]
    let prefetch: UInt16
    let logger: Logger
    let shared = Mutex(Shared())
    let wakeFD: Int32
    let stream: AsyncStream<AMQPDelivery>
    let continuation: AsyncStream<AMQPDelivery>.Continuation

    init(config: AMQPConfig, topology: AMQPTopology, queues: [String], prefetch: UInt16, logger: Logger) {
        self.config = config
        self.topology = topology
        self.queues = queues
        self.prefetch = prefetch
        self.logger = logger
        self.wakeFD = gyre_wakefd_create()
        (stream, continuation) = AsyncStream.makeStream(of: AMQPDelivery.self, bufferingPolicy: .unbounded)
    }

    deinit {
        gyre_fd_close(wakeFD)
    }

    func start() {
        let shouldStart = shared.withLock { s -> Bool in
            guard !s.started, !s.stopRequested else { return false }
            s.started = true
            return true
        }
        guard shouldStart else { return }
        let thread = Thread { [self] in
            gyre_set_current_thread_name("gyre-amqp-cons")
            ConsumerWorker(core: self).run()
            self.finish()
        }
        thread.start()
    }

    func requestStop() {
        let (wasStarted, alreadyFinished) = shared.withLock { s in
            s.stopRequested = true
            return (s.started, s.finished)
        }
        if !wasStarted {
            // Never started: there is no thread to finish the stream.
            shared.withLock { $0.finished = true }
            continuation.finish()
        } else if !alreadyFinished {
            wakeThread()
        }
    }

    func enqueue(_ op: Operation) {
        let signal = shared.withLock { s -> Bool in
            let generation: UInt64
            switch op {
            case .ack(let g, _), .reject(let g, _, _): generation = g
            }
            // Stale or post-shutdown acks can never be sent: drop them right here.
            guard generation == s.generation, !s.finished else { return false }
            s.operations.append(op)
            return Self.markWake(&s)
        }
        if signal { gyre_wakefd_signal(wakeFD) }
    }

    func addQueue(_ addition: QueueAddition) {
        let signal = shared.withLock { s -> Bool in
            s.additions.append(addition)
            s.newAdditions.append(addition)
            return s.started ? Self.markWake(&s) : false
        }
        if signal { gyre_wakefd_signal(wakeFD) }
    }

    private static func markWake(_ s: inout Shared) -> Bool {
        if s.wakePending { return false }
        s.wakePending = true
        return true
    }

    private func wakeThread() {
        shared.withLock { $0.wakePending = true }
        gyre_wakefd_signal(wakeFD)
    }

    private func finish() {
        let waiters = shared.withLock { s -> [CheckedContinuation<Void, Never>] in
            s.finished = true
            s.connected = false
            s.operations.removeAll()
            let w = s.stopWaiters
            s.stopWaiters.removeAll()
            return w
        }
        continuation.finish()
        for w in waiters { w.resume() }
    }
}

/// The consumer thread's loop. Owns the connection; lives only on that thread.
final class ConsumerWorker {
    let core: ConsumerCore
    var logger: Logger
    var connection: AMQPConnection?
    var generation: UInt64 = 0
    /// consumer tag → queue name, for the live connection.
    var tags: [String: String] = [:]
    var consumedQueues: Set<String> = []

    init(core: ConsumerCore) {
        self.core = core
        self.logger = core.logger
    }

    func run() {
        var backoff: Duration = .milliseconds(100)
        while !stopRequested {
            do throws(AMQPError) {
                try connect()
                backoff = .milliseconds(100)
                try serve()
                shutDown()
                return
            } catch {
                connection = nil
                core.shared.withLock { s in
                    s.connected = false
                    s.lastError = error.description
                }
                if stopRequested { return }
                logger.warning("AMQP consumer connection failed; retrying",
                               metadata: ["error": "\(error.message)", "retryIn": "\(backoff)"])
                // Wait for the backoff, but wake at once for stop().
                let r = gyre_poll2(-1, core.wakeFD, backoff.pollMilliseconds)
                if r > 0 && r & 2 != 0 { drainWake() }
                backoff = min(backoff * 2, .seconds(2))
            }
        }
    }

    private var stopRequested: Bool {
        core.shared.withLock { $0.stopRequested }
    }

    private func drainWake() {
        core.shared.withLock { $0.wakePending = false }
        gyre_wakefd_drain(core.wakeFD)
    }

    private func connect() throws(AMQPError) {
        tags.removeAll()
        consumedQueues.removeAll()
        let c = try AMQPConnection(config: core.config, role: "consumer")
        connection = c
        // A new generation: acks queued for the previous connection become stale.
        generation = core.shared.withLock { s in
            s.generation += 1
            s.operations.removeAll()
            return s.generation
        }
        try c.qos(prefetch: core.prefetch)
        try c.declare(core.topology)
        let additions = core.shared.withLock { s in
            s.newAdditions.removeAll()
            return s.additions
        }
        for queue in core.queues {
            try consume(queue, on: c)
        }
        for addition in additions {
            try apply(addition, on: c)
        }
        core.shared.withLock { $0.connected = true }
        logger.info("AMQP consumer connected",
                    metadata: ["broker": "\(core.config)", "queues": "\(consumedQueues.sorted())",
                               "generation": "\(generation)"])
    }

    private func apply(_ addition: ConsumerCore.QueueAddition, on c: AMQPConnection) throws(AMQPError) {
        try c.declare(addition.queue)
        for binding in addition.bindings {
            try c.bind(binding)
        }
        try consume(addition.queue.name, on: c)
    }

    private func consume(_ queue: String, on c: AMQPConnection) throws(AMQPError) {
        guard !consumedQueues.contains(queue) else { return }
        let tag = "gyre.\(generation).\(tags.count)"
        try c.consume(queue: queue, tag: tag)
        tags[tag] = queue
        consumedQueues.insert(queue)
    }

    /// Handles deliveries and requests until stop is requested (returns) or an error (throws).
    private func serve() throws(AMQPError) {
        guard let c = connection else { return }
        let socket = c.fd
        while true {
            let (operations, additions, stop) = core.shared.withLock { s in
                let work = (s.operations, s.newAdditions, s.stopRequested)
                s.operations.removeAll(keepingCapacity: true)
                s.newAdditions.removeAll()
                s.wakePending = false
                return work
            }
            try perform(operations, on: c)
            for addition in additions {
                try apply(addition, on: c)
            }
            if stop { return }

            amqp_maybe_release_buffers(c.state)
            if !c.hasBufferedData {
                // Block until the broker sends something or another thread needs us. The
                // timeout is only a safety net.
                let ready = gyre_poll2(socket, core.wakeFD, 1000)
                if ready < 0 {
                    throw AMQPError(.connectionFailed, "poll() on the AMQP socket failed")
                }
                if ready & 2 != 0 { gyre_wakefd_drain(core.wakeFD) }
                if ready & 1 == 0 { continue }
            }
            try receive(on: c)
        }
    }

    private func perform(_ operations: [ConsumerCore.Operation], on c: AMQPConnection) throws(AMQPError) {
        for op in operations {
            let rc: Int32
            switch op {
            case .ack(let g, let tag):
                guard g == generation else { continue }
                rc = amqp_basic_ack(c.state, AMQPConnection.channel, tag, 0)
            case .reject(let g, let tag, let requeue):
                guard g == generation else { continue }
                rc = amqp_basic_reject(c.state, AMQPConnection.channel, tag, requeue ? 1 : 0)
            }
            if rc != AMQP_STATUS_OK.rawValue {
                throw c.statusError(rc, "basic.ack/reject")
            }
        }
    }

    /// Reads what the socket has: one delivery or one other frame. Never blocks for long
    /// (the rest of a started message is read to completion).
    private func receive(on c: AMQPConnection) throws(AMQPError) {
        var envelope = amqp_envelope_t()
        var zero = timeval(tv_sec: 0, tv_usec: 0)
        let reply = amqp_consume_message(c.state, &envelope, &zero, 0)
        switch reply.reply_type {
        case AMQP_RESPONSE_NORMAL:
            let delivery = makeDelivery(&envelope)
            amqp_destroy_envelope(&envelope)
            core.continuation.yield(delivery)
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_TIMEOUT.rawValue:
            return // partial frame; wait for the rest
        case AMQP_RESPONSE_LIBRARY_EXCEPTION where reply.library_error == AMQP_STATUS_UNEXPECTED_STATE.rawValue:
            // Not a basic.deliver: the frame was put back; read and handle it. (If nothing was
            // put back, a message's content frames went missing: start over.)
            guard amqp_frames_enqueued(c.state) != 0 else {
                throw c.statusError(reply.library_error, "receiving a delivery")
            }
            guard let frame = try c.nextFrame(timeout: nil) else { return }
            try c.handleUnsolicited(frame)
        default:
            throw c.replyError(reply, "receiving a delivery")
        }
    }

    private func makeDelivery(_ envelope: inout amqp_envelope_t) -> AMQPDelivery {
        let tag = string(envelope.consumer_tag) ?? ""
        let messageId = string(gyre_amqp_envelope_message_id(&envelope))
        let type = string(gyre_amqp_envelope_type(&envelope))
        let bodyBytes = envelope.message.body
        let body: [UInt8]
        if let base = bodyBytes.bytes, bodyBytes.len > 0 {
            body = Array(UnsafeRawBufferPointer(start: base, count: bodyBytes.len))
        } else {
            body = []
        }
        return AMQPDelivery(queue: tags[tag] ?? tag, body: body, messageId: messageId, type: type,
                            redelivered: envelope.redelivered != 0, deliveryTag: envelope.delivery_tag,
                            generation: generation)
    }

    private func string(_ bytes: amqp_bytes_t) -> String? {
        guard let base = bytes.bytes else { return nil }
        return String(decoding: UnsafeRawBufferPointer(start: base, count: bytes.len), as: UTF8.self)
    }

    /// Cancels the consumers, sends the pending acks and closes the connection.
    private func shutDown() {
        guard let c = connection else { return }
        defer {
            connection = nil
            core.shared.withLock { $0.connected = false }
        }
        do throws(AMQPError) {
            for tag in tags.keys.sorted() {
                try c.cancel(tag: tag)
            }
            // Acks requested while cancelling. Deliveries that arrived meanwhile are not
            // handed out: the broker requeues them when the channel closes.
            let operations = core.shared.withLock { s in
                let ops = s.operations
                s.operations.removeAll()
                return ops
            }
            try perform(operations, on: c)
            c.closeGracefully()
            logger.info("AMQP consumer stopped")
        } catch {
            logger.warning("AMQP consumer did not stop cleanly", metadata: ["error": "\(error.message)"])
        }
    }
}
