import CGyreShims
import CHiredis
import Dispatch
import Logging
import Synchronization

/// A Redis client: one hiredis connection owned by a serial dispatch queue.
///
/// Commands from concurrent tasks are serialized on that queue. The connection is opened
/// lazily (connect timeout ``RedisConfig/connectTimeout``, then AUTH and SELECT as configured)
/// and every read/write is bounded by ``RedisConfig/commandTimeout``. An I/O or protocol error
/// drops the connection and throws; the next call reconnects. Before each call the idle socket
/// is checked without blocking, so a connection the server closed (restart, `CLIENT KILL`,
/// idle timeout) is replaced transparently instead of failing the next command.
///
/// A server error reply (`-ERR …`, `-WRONGTYPE …`) is **returned** as ``RedisValue/error(_:)``,
/// not thrown (so a pipeline can report per-command errors); call ``RedisValue/checked()`` to
/// turn it into a thrown `.serverError`.
public final class RedisClient: Sendable {
    private let queue: DispatchQueue
    private let session: Mutex<RedisSession>
    private let connected = Atomic<Bool>(false)

    /// Creates a client; no connection is made until the first command.
    public init(config: RedisConfig, logger: Logger) {
        queue = DispatchQueue(label: "gyre.redis.client")
        session = Mutex(RedisSession(config: config, logger: logger))
    }

    /// Sends one command (arguments as UTF-8 text), e.g. `["SET", key, value]`.
    public func command(_ args: [String]) async throws(RedisError) -> RedisValue {
        try await command(bytes: args.map { Array($0.utf8) })
    }

    /// Sends one command with binary-safe arguments.
    public func command(bytes args: [[UInt8]]) async throws(RedisError) -> RedisValue {
        let replies = try await pipeline([args])
        return replies[0]
    }

    /// Writes several commands together and reads their replies back in order (one round trip).
    ///
    /// Per-command server errors come back as ``RedisValue/error(_:)`` elements; an I/O error
    /// throws (and then some of the commands may have been executed).
    public func pipeline(_ commands: [[[UInt8]]]) async throws(RedisError) -> [RedisValue] {
        guard !commands.isEmpty else { return [] }
        if let bad = commands.firstIndex(where: \.isEmpty) {
            throw RedisError(.protocolError, "command \(bad) of the pipeline is empty")
        }
        let result: Result<[RedisValue], RedisError> = await withCheckedContinuation { continuation in
            queue.async {
                let r: Result<[RedisValue], RedisError> = self.session.withLock { s in
                    let r: Result<[RedisValue], RedisError>
                    do throws(RedisError) {
                        r = .success(try s.execute(commands))
                    } catch {
                        r = .failure(error)
                    }
                    self.connected.store(s.isConnected, ordering: .relaxed)
                    return r
                }
                continuation.resume(returning: r)
            }
        }
        return try result.get()
    }

    /// Sends PING; throws unless the server answers PONG.
    public func ping() async throws(RedisError) {
        let reply = try await command(["PING"]).checked()
        guard reply == .status("PONG") else {
            throw RedisError(.protocolError, "unexpected PING reply \(reply)")
        }
    }

    /// Whether a connection is currently open (as of the last command).
    public var isConnected: Bool {
        connected.load(ordering: .relaxed)
    }
}

/// The client's connection state, used only on the client's serial queue.
final class RedisSession {
    let config: RedisConfig
    let logger: Logger
    var context: UnsafeMutablePointer<redisContext>?

    init(config: RedisConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    deinit {
        if let context { redisFree(context) }
    }

    var isConnected: Bool { context != nil }

    func execute(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisValue] {
        let c = try connection()
        for command in commands {
            let rc = withArgv(command) { argc, argv, lengths in
                redisAppendCommandArgv(c, argc, argv, lengths)
            }
            if rc != REDIS_OK {
                throw failure(c, "queueing a command")
            }
        }
        var replies: [RedisValue] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            if redisGetReply(c, &raw) != REDIS_OK || raw == nil {
                throw failure(c, "reading a reply")
            }
            let reply = raw!.assumingMemoryBound(to: redisReply.self)
            replies.append(Self.value(reply))
            freeReplyObject(raw)
        }
        return replies
    }

    /// The live context, (re)connecting when there is none or the idle socket shows the
    /// server closed it.
    func connection() throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        if let c = context {
            // Nothing is expected from the server between commands: readable means EOF/RST
            // (or garbage), so the connection is unusable.
            if gyre_poll2(c.pointee.fd, -1, 0) & 1 == 0 { return c }
            logger.info("Redis connection closed by the server; reconnecting")
            redisFree(c)
            context = nil
        }
        let connectMs = Int64(config.connectTimeout.milliseconds)
        guard let c = gyre_redis_connect(config.host, Int32(clamping: config.port), connectMs) else {
            throw RedisError(.connectionFailed, "cannot allocate a Redis context")
        }
        if c.pointee.err != 0 {
            let text = Self.errorText(c)
            redisFree(c)
            throw RedisError(.connectionFailed, "cannot connect to \(config.host):\(config.port): \(text)")
        }
        _ = gyre_redis_set_timeout(c, Int64(config.commandTimeout.milliseconds))
        _ = redisEnableKeepAlive(c)
        context = c
        do throws(RedisError) {
            if let password = config.password {
                var auth = [Array("AUTH".utf8)]
                if let user = config.username { auth.append(Array(user.utf8)) }
                auth.append(Array(password.utf8))
                try setup(c, auth, what: "AUTH")
            }
            if config.database != 0 {
                try setup(c, [Array("SELECT".utf8), Array(String(config.database).utf8)], what: "SELECT \(config.database)")
            }
        } catch {
            if let c = context { redisFree(c) }
            context = nil
            throw RedisError(.connectionFailed, error.message)
        }
        logger.debug("Redis connected", metadata: ["server": "\(config)"])
        return c
    }

    private func setup(_ c: UnsafeMutablePointer<redisContext>, _ args: [[UInt8]], what: String) throws(RedisError) {
        let raw = withArgv(args) { argc, argv, lengths in redisCommandArgv(c, argc, argv, lengths) }
        guard let raw else { throw failure(c, what) }
        let value = Self.value(raw.assumingMemoryBound(to: redisReply.self))
        freeReplyObject(raw)
        if case .error(let message) = value {
            throw RedisError(.connectionFailed, "\(what) failed: \(message)")
        }
    }

    /// Drops the connection and returns the error hiredis recorded on it.
    private func failure(_ c: UnsafeMutablePointer<redisContext>, _ what: String) -> RedisError {
        let code: RedisError.Code = c.pointee.err == REDIS_ERR_PROTOCOL ? .protocolError : .ioError
        let text = Self.errorText(c)
        logger.warning("Redis I/O error; dropping the connection", metadata: ["error": "\(what): \(text)"])
        redisFree(c)
        if context == c { context = nil }
        return RedisError(code, "\(what) failed: \(text)")
    }

    static func errorText(_ c: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: c.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            let text = String(decoding: bytes, as: UTF8.self)
            if text.isEmpty { return "error \(c.pointee.err)" }
            // hiredis reports a read timeout as EAGAIN.
            if text == "Resource temporarily unavailable" { return "timed out" }
            return text
        }
    }

    static func value(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let r = reply.pointee
        switch r.type {
        case REDIS_REPLY_STRING:
            guard let str = r.str else { return .bulk([]) }
            return .bulk(Array(UnsafeRawBufferPointer(start: str, count: r.len)))
        case REDIS_REPLY_STATUS:
            return .status(text(r))
        case REDIS_REPLY_ERROR:
            return .error(text(r))
        case REDIS_REPLY_INTEGER:
            return .integer(r.integer)
        case REDIS_REPLY_NIL:
            return .null
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(r.elements)
            for i in 0..<r.elements {
                if let element = r.element[i] { elements.append(value(element)) } else { elements.append(.null) }
            }
            return .array(elements)
        default:
            return .error("unsupported reply type \(r.type)")
        }
    }

    private static func text(_ r: redisReply) -> String {
        guard let str = r.str else { return "" }
        return String(decoding: UnsafeRawBufferPointer(start: str, count: r.len), as: UTF8.self)
    }
}

/// Calls `body` with argc/argv/argvlen for hiredis, all pointing into one contiguous buffer.
func withArgv<R>(_ args: [[UInt8]],
                         _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R) -> R {
    var flat: [UInt8] = []
    flat.reserveCapacity(args.reduce(0) { $0 + $1.count } + 1)
    var offsets: [Int] = []
    var lengths: [Int] = []
    for arg in args {
        offsets.append(flat.count)
        lengths.append(arg.count)
        flat.append(contentsOf: arg)
    }
    flat.append(0) // never empty, so the base address exists
    return flat.withUnsafeBufferPointer { buffer in
        let base = UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: CChar.self)
        var argv: [UnsafePointer<CChar>?] = offsets.map { base + $0 }
        return argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeBufferPointer { lengthBuffer in
                body(Int32(args.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
            }
        }
    }
}

extension Duration {
    /// Whole milliseconds (negative durations count as zero).
    var milliseconds: Int {
        let c = components
        return max(0, Int(c.seconds) * 1000 + Int(c.attoseconds / 1_000_000_000_000_000))
    }
}
