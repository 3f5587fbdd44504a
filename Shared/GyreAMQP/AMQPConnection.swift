import CGyreShims
import CRabbitMQ
#if canImport(Glibc)
import Glibc
#endif

/// One librabbitmq connection with channel 1 open.
///
/// Not thread-safe: an instance is created, used and destroyed by a single owner
/// (the publisher's serial queue or the consumer's thread). After any error it must be
/// discarded (``isBroken``); the owner builds a new one.
final class AMQPConnection {
    /// The only channel used.
    static let channel: amqp_channel_t = 1

    let state: amqp_connection_state_t
    let config: AMQPConfig
    /// Set after an error; the connection must then be discarded.
    private(set) var isBroken = false

    /// Opens the socket, logs in (heartbeat 0) and opens channel 1.
    init(config: AMQPConfig, role: String) throws(AMQPError) {
        self.config = config
        guard let st = amqp_new_connection() else {
            throw AMQPError(.connectionFailed, "out of memory creating an AMQP connection")
        }
        guard let socket = amqp_tcp_socket_new(st) else {
            amqp_destroy_connection(st)
            throw AMQPError(.connectionFailed, "cannot create an AMQP socket")
        }
        var connectTV = timeval(config.connectTimeout)
        errno = 0
        let rc = amqp_socket_open_noblock(socket, config.host, Int32(clamping: config.port), &connectTV)
        if rc != AMQP_STATUS_OK.rawValue {
            let osError = errno
            var reason = statusText(rc)
            if rc == AMQP_STATUS_SOCKET_ERROR.rawValue, osError != 0, let text = strerror(osError) {
                reason += " (\(String(cString: text)))"
            }
            amqp_destroy_connection(st)
            throw AMQPError(.connectionFailed, "cannot connect to \(config.host):\(config.port): \(reason)")
        }
        var handshakeTV = timeval(config.connectTimeout)
        _ = amqp_set_handshake_timeout(st, &handshakeTV)
        var rpcTV = timeval(config.operationTimeout)
        _ = amqp_set_rpc_timeout(st, &rpcTV)
        _ = gyre_socket_keepalive(amqp_get_sockfd(st), 30, 10, 3)

        let name = config.connectionName.map { "\($0) (\(role))" } ?? "gyre \(role)"
        let login = gyre_amqp_login_plain(st, config.vhost, 0, 131_072, 0, config.user, config.password, name)
        if login.reply_type != AMQP_RESPONSE_NORMAL {
            let (_, text) = describeReply(login)
            amqp_destroy_connection(st)
            throw AMQPError(.loginFailed,
                            "login to \(config.host):\(config.port) vhost \"\(config.vhost)\" as \"\(config.user)\" failed: \(text)")
        }
        self.state = st
        _ = amqp_channel_open(st, Self.channel)
        try checkReply("channel.open")
    }

    deinit {
        amqp_destroy_connection(state)
    }

    /// The socket file descriptor.
    var fd: Int32 { amqp_get_sockfd(state) }

    /// Whether frames are already decoded or bytes already buffered (a poll on the socket would miss them).
    var hasBufferedData: Bool {
        amqp_frames_enqueued(state) != 0 || amqp_data_in_buffer(state) != 0
    }

    // MARK: - Errors

    /// Marks the connection broken and returns the error for a failed RPC.
    func replyError(_ reply: amqp_rpc_reply_t, _ what: String) -> AMQPError {
        isBroken = true
        let (code, text) = describeReply(reply)
        if reply.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION {
            // Be polite: acknowledge the broker's close before we drop the socket.
            if reply.reply.id == gyre_amqp_method_channel_close() {
                _ = gyre_amqp_send_channel_close_ok(state, Self.channel)
            } else if reply.reply.id == gyre_amqp_method_connection_close() {
                _ = gyre_amqp_send_connection_close_ok(state)
            }
        }
        return AMQPError(code, "\(what) failed: \(text)")
    }

    /// Throws if the most recent RPC did not succeed.
    func checkReply(_ what: @autoclosure () -> String) throws(AMQPError) {
        let reply = amqp_get_rpc_reply(state)
        if reply.reply_type != AMQP_RESPONSE_NORMAL {
            throw replyError(reply, what())
        }
    }

    /// Marks the connection broken and returns an error for a failed library call.
    func statusError(_ status: Int32, _ what: String) -> AMQPError {
        isBroken = true
        let code: AMQPError.Code = status == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .connectionFailed
        return AMQPError(code, "\(what) failed: \(statusText(status))")
    }

    // MARK: - Declarations

    func declare(_ topology: AMQPTopology) throws(AMQPError) {
        for exchange in topology.exchanges {
            try declare(exchange)
        }
        for queue in topology.queues {
            try declare(queue)
        }
        for binding in topology.bindings {
            try bind(binding)
        }
    }

    func declare(_ exchange: AMQPExchange) throws(AMQPError) {
        // The default exchange and amq.* exist already and cannot be declared with other settings.
        guard !exchange.name.isEmpty, !exchange.name.hasPrefix("amq.") else { return }
        if gyre_amqp_exchange_declare(state, Self.channel, exchange.name, exchange.type, exchange.durable ? 1 : 0) == 0 {
            try checkReply("exchange.declare \"\(exchange.name)\"")
        }
    }

    func declare(_ queue: AMQPQueue) throws(AMQPError) {
        let ttl = Int64(queue.messageTTLMilliseconds ?? -1)
        if gyre_amqp_queue_declare(state, Self.channel, queue.name, 0, queue.durable ? 1 : 0, queue.exclusive ? 1 : 0,
                                   queue.autoDelete ? 1 : 0, ttl) == nil {
            try checkReply("queue.declare \"\(queue.name)\"")
        }
    }

    func bind(_ binding: AMQPBinding) throws(AMQPError) {
        if gyre_amqp_queue_bind(state, Self.channel, binding.queue, binding.exchange, binding.routingKey) == 0 {
            try checkReply("queue.bind \"\(binding.queue)\" to \"\(binding.exchange)\" (\(binding.routingKey))")
        }
    }

    func deleteQueue(_ name: String) throws(AMQPError) {
        if gyre_amqp_queue_delete(state, Self.channel, name) == 0 {
            try checkReply("queue.delete \"\(name)\"")
        }
    }

    func deleteExchange(_ name: String) throws(AMQPError) {
        if gyre_amqp_exchange_delete(state, Self.channel, name) == 0 {
            try checkReply("exchange.delete \"\(name)\"")
        }
    }

    func qos(prefetch: UInt16) throws(AMQPError) {
        if amqp_basic_qos(state, Self.channel, 0, prefetch, 0) == nil {
            try checkReply("basic.qos")
        }
    }

    func confirmSelect() throws(AMQPError) {
        if amqp_confirm_select(state, Self.channel) == nil {
            try checkReply("confirm.select")
        }
    }

    func consume(queue: String, tag: String) throws(AMQPError) {
        if gyre_amqp_basic_consume(state, Self.channel, queue, tag) == 0 {
            try checkReply("basic.consume \"\(queue)\"")
        }
    }

    func cancel(tag: String) throws(AMQPError) {
        if gyre_amqp_basic_cancel(state, Self.channel, tag) == 0 {
            try checkReply("basic.cancel")
        }
    }

    // MARK: - Frames

    /// Reads the next frame, waiting at most `timeout` (nil = forever). Returns nil on timeout.
    /// The frame's memory lives until the next `amqp_maybe_release_buffers`.
    func nextFrame(timeout: Duration?) throws(AMQPError) -> amqp_frame_t? {
        var frame = amqp_frame_t()
        let rc: Int32
        if let timeout {
            var tv = timeval(timeout)
            rc = amqp_simple_wait_frame_noblock(state, &frame, &tv)
        } else {
            rc = amqp_simple_wait_frame(state, &frame)
        }
        if rc == AMQP_STATUS_TIMEOUT.rawValue { return nil }
        if rc != AMQP_STATUS_OK.rawValue { throw statusError(rc, "reading from the broker") }
        return frame
    }

    /// Handles a method frame nobody was waiting for: reads and drops basic.return content,
    /// throws for channel.close / connection.close (after answering close-ok) and for a
    /// broker-initiated basic.cancel. Returns normally for anything harmless.
    func handleUnsolicited(_ frame: amqp_frame_t) throws(AMQPError) {
        guard frame.frame_type == UInt8(AMQP_FRAME_METHOD) else { return }
        var method = frame.payload.method
        let id = method.id
        if id == gyre_amqp_method_basic_return() {
            var message = amqp_message_t()
            let reply = amqp_read_message(state, frame.channel, &message, 0)
            if reply.reply_type != AMQP_RESPONSE_NORMAL {
                throw replyError(reply, "reading a returned message")
            }
            amqp_destroy_message(&message)
        } else if id == gyre_amqp_method_channel_close() || id == gyre_amqp_method_connection_close() {
            isBroken = true
            var code: UInt16 = 0
            var buf = [CChar](repeating: 0, count: 512)
            _ = gyre_amqp_decode_close(&method, &code, &buf, buf.count)
            let text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if id == gyre_amqp_method_channel_close() {
                _ = gyre_amqp_send_channel_close_ok(state, frame.channel)
                throw AMQPError(.channelError, "channel closed by the broker: \(code) \(text)")
            } else {
                _ = gyre_amqp_send_connection_close_ok(state)
                throw AMQPError(.connectionFailed, "connection closed by the broker: \(code) \(text)")
            }
        } else if id == gyre_amqp_method_basic_cancel() {
            isBroken = true
            throw AMQPError(.channelError, "the broker cancelled a consumer (queue deleted?)")
        }
    }

    /// Without blocking, tells whether the connection still looks usable: no EOF, reset or
    /// close from the broker pending on the socket. Stray frames are consumed.
    func probe() -> AMQPError? {
        if isBroken { return AMQPError(.connectionFailed, "connection is broken") }
        while hasBufferedData || gyre_poll2(fd, -1, 0) & 1 != 0 {
            do {
                guard let frame = try nextFrame(timeout: .zero) else { return nil }
                try handleUnsolicited(frame)
            } catch {
                return error
            }
        }
        return nil
    }

    /// Closes channel and connection politely (bounded by the operation timeout).
    func closeGracefully() {
        guard !isBroken else { return }
        isBroken = true
        _ = amqp_channel_close(state, Self.channel, AMQP_REPLY_SUCCESS)
        _ = amqp_connection_close(state, AMQP_REPLY_SUCCESS)
    }
}

/// Text for an AMQP_STATUS_* code.
func statusText(_ status: Int32) -> String {
    guard let s = amqp_error_string2(status) else { return "status \(status)" }
    return String(cString: s)
}

/// Error code and text for a failed RPC reply.
func describeReply(_ reply: amqp_rpc_reply_t) -> (AMQPError.Code, String) {
    switch reply.reply_type {
    case AMQP_RESPONSE_NORMAL:
        return (.connectionFailed, "ok")
    case AMQP_RESPONSE_LIBRARY_EXCEPTION:
        let code: AMQPError.Code = reply.library_error == AMQP_STATUS_TIMEOUT.rawValue ? .timeout : .connectionFailed
        return (code, statusText(reply.library_error))
    case AMQP_RESPONSE_SERVER_EXCEPTION:
        var method = reply.reply
        var code: UInt16 = 0
        var buf = [CChar](repeating: 0, count: 512)
        if gyre_amqp_decode_close(&method, &code, &buf, buf.count) != 0 {
            let text = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if method.id == gyre_amqp_method_channel_close() {
                return (.channelError, "channel closed by the broker: \(code) \(text)")
            }
            return (.connectionFailed, "connection closed by the broker: \(code) \(text)")
        }
        return (.connectionFailed, "unexpected server method 0x\(String(method.id, radix: 16))")
    default:
        return (.connectionFailed, "no RPC reply")
    }
}

extension timeval {
    init(_ duration: Duration) {
        let c = duration.components
        let seconds = max(0, c.seconds)
        let micros = c.seconds < 0 ? 0 : c.attoseconds / 1_000_000_000_000
        self.init(tv_sec: Int(seconds), tv_usec: Int(micros))
    }
}

extension Duration {
    /// Whole milliseconds, clamped to Int32 (for poll).
    var pollMilliseconds: Int32 {
        let c = components
        let ms = c.seconds * 1000 + c.attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, ms))
    }
}
