import CGyreShims
import CHiredis
import Foundation
import Logging
import Synchronization

/// Redis pub/sub for one process: a dedicated connection owned by one thread,
/// subscribed to exactly the channels someone listens to right now.
///
/// `stream(channel:)` yields once per message (coalesced: a listener that is
/// busy sees at most one pending wake-up); the payload is not passed on, the
/// listener re-reads what it shows. After a reconnect every listener is woken
/// once, since messages published while the connection was down are lost.
public final class RedisSubscriber: Sendable {
    private let config: RedisConfig
    private let logger: Logger
    private let wakeFD: Int32
    private let state = Mutex(State())

    struct State {
        var listeners: [String: [UInt64: AsyncStream<Void>.Continuation]] = [:]
        var next: UInt64 = 0
        var started = false
    }

    public init(config: RedisConfig, logger: Logger) {
        self.config = config
        self.logger = logger
        wakeFD = gyre_wakefd_create()
    }

    deinit { gyre_fd_close(wakeFD) }

    /// Wake-ups for `channel` until the stream is dropped or cancelled.
    public func stream(channel: String) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let (id, start) = state.withLock { s -> (UInt64, Bool) in
            s.next += 1
            s.listeners[channel, default: [:]][s.next] = continuation
            defer { s.started = true }
            return (s.next, !s.started)
        }
        continuation.onTermination = { [weak self] _ in self?.remove(channel: channel, id: id) }
        if start {
            let thread = Thread { [self] in
                gyre_set_current_thread_name("gyre-redis-sub")
                run()
            }
            thread.start()
        } else {
            gyre_wakefd_signal(wakeFD)
        }
        return stream
    }

    /// How many channels have listeners (for tests and metrics).
    public var channelCount: Int { state.withLock { $0.listeners.count } }

    private func remove(channel: String, id: UInt64) {
        state.withLock { s in
            s.listeners[channel]?[id] = nil
            if s.listeners[channel]?.isEmpty == true { s.listeners[channel] = nil }
        }
        gyre_wakefd_signal(wakeFD)
    }

    private func wakeAll() {
        for continuation in state.withLock({ $0.listeners.values.flatMap(\.values) }) { continuation.yield() }
    }

    private func wake(channel: String) {
        for continuation in state.withLock({ $0.listeners[channel].map { Array($0.values) } ?? [] }) { continuation.yield() }
    }

    // MARK: the connection's thread

    private func run() {
        var backoff = 0.05
        while true {
            let session = RedisSession(config: config, logger: logger)
            let c: UnsafeMutablePointer<redisContext>
            do {
                c = try session.connection()
                session.context = nil // this thread owns it from here
            } catch {
                logger.warning("Redis subscriber cannot connect; retrying", metadata: ["error": "\(error.message)"])
                Thread.sleep(forTimeInterval: backoff)
                backoff = min(backoff * 2, 2)
                continue
            }
            backoff = 0.05
            let problem = serve(c)
            redisFree(c)
            logger.warning("Redis subscriber connection lost; reconnecting", metadata: ["error": "\(problem)"])
            // Whatever was published meanwhile is lost: everyone looks again.
            wakeAll()
        }
    }

    /// Keeps the subscriptions in step with the listeners and dispatches messages until the connection fails.
    private func serve(_ c: UnsafeMutablePointer<redisContext>) -> String {
        var subscribed = Set<String>()
        // Listeners that arrived before the connection was up may have missed messages.
        wakeAll()
        while true {
            let wanted = Set(state.withLock { $0.listeners.keys })
            let add = wanted.subtracting(subscribed), drop = subscribed.subtracting(wanted)
            if !add.isEmpty || !drop.isEmpty {
                if !add.isEmpty { append(c, ["SUBSCRIBE"] + add.sorted()) }
                if !drop.isEmpty { append(c, ["UNSUBSCRIBE"] + drop.sorted()) }
                var done: Int32 = 0
                while done == 0 {
                    guard redisBufferWrite(c, &done) == REDIS_OK else { return "writing: " + RedisSession.errorText(c) }
                }
                subscribed = wanted
            }
            let ready = gyre_poll2(c.pointee.fd, wakeFD, 5_000)
            if ready < 0 { return "poll failed" }
            if ready & 2 != 0 { gyre_wakefd_drain(wakeFD) }
            guard ready & 1 != 0 else { continue }
            guard redisBufferRead(c) == REDIS_OK else { return "reading: " + RedisSession.errorText(c) }
            while true {
                var raw: UnsafeMutableRawPointer?
                guard redisGetReplyFromReader(c, &raw) == REDIS_OK else { return "protocol: " + RedisSession.errorText(c) }
                guard let raw else { break }
                let value = RedisSession.value(raw.assumingMemoryBound(to: redisReply.self))
                freeReplyObject(raw)
                // ["message", channel, payload]; subscribe/unsubscribe confirmations are ignored.
                if case .array(let parts) = value, parts.count == 3, parts[0].string == "message", let channel = parts[1].string {
                    wake(channel: channel)
                }
            }
        }
    }

    private func append(_ c: UnsafeMutablePointer<redisContext>, _ args: [String]) {
        _ = withArgv(args.map { Array($0.utf8) }) { argc, argv, lengths in redisAppendCommandArgv(c, argc, argv, lengths) }
    }
}
