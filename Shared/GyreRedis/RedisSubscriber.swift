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
            let id = s.next
            var listeners = s.listeners[channel] ?? [:]
            listeners[id] = continuation
            s.listeners[channel] = listeners
            let start = !s.started
            s.started = true
            return (id, start)
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
            guard var listeners = s.listeners[channel] else { return }
            listeners[id] = nil
            s.listeners[channel] = listeners.isEmpty ? nil : listeners
        }
        gyre_wakefd_signal(wakeFD)
    }

    private func wakeAll() {
        let all: [AsyncStream<Void>.Continuation] = state.withLock { s in
            var found: [AsyncStream<Void>.Continuation] = []
            for listeners in s.listeners.values { found.append(contentsOf: listeners.values) }
            return found
        }
        for continuation in all { continuation.yield() }
    }

    private func wake(channel: String) {
        let some: [AsyncStream<Void>.Continuation] = state.withLock { s in
            guard let listeners = s.listeners[channel] else { return [] }
            return Array(listeners.values)
        }
        for continuation in some { continuation.yield() }
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
    /// (This loop and its two steps stay out of line: inlined into each other, Swift 6.3.1's release-mode
    /// optimizer never finishes compiling them.)
    @inline(never)
    private func serve(_ c: UnsafeMutablePointer<redisContext>) -> String {
        var subscribed: [String] = []
        // Listeners that arrived before the connection was up may have missed messages.
        wakeAll()
        var problem: String?
        repeat {
            problem = synchronize(c, &subscribed)
            if problem == nil { problem = dispatch(c) }
        } while problem == nil
        return problem ?? ""
    }

    /// Subscribes to the channels that gained listeners and unsubscribes from those that lost them all.
    @inline(never)
    private func synchronize(_ c: UnsafeMutablePointer<redisContext>, _ subscribed: inout [String]) -> String? {
        let wanted: [String] = state.withLock { s in Array(s.listeners.keys) }.sorted()
        let add = wanted.filter { !subscribed.contains($0) }
        let drop = subscribed.filter { !wanted.contains($0) }
        if add.isEmpty && drop.isEmpty { return nil }
        if !add.isEmpty { append(c, ["SUBSCRIBE"] + add) }
        if !drop.isEmpty { append(c, ["UNSUBSCRIBE"] + drop) }
        var done: Int32 = 0
        while done == 0 {
            if redisBufferWrite(c, &done) != REDIS_OK { return "writing: " + RedisSession.errorText(c) }
        }
        subscribed = wanted
        return nil
    }

    /// Waits (at most 5 s) for messages or a change of listeners; wakes the listeners of each message's channel.
    @inline(never)
    private func dispatch(_ c: UnsafeMutablePointer<redisContext>) -> String? {
        let ready = gyre_poll2(c.pointee.fd, wakeFD, 5_000)
        if ready < 0 { return "poll failed" }
        if ready & 2 != 0 { gyre_wakefd_drain(wakeFD) }
        if ready & 1 == 0 { return nil }
        if redisBufferRead(c) != REDIS_OK { return "reading: " + RedisSession.errorText(c) }
        var raw: UnsafeMutableRawPointer?
        repeat {
            raw = nil
            if redisGetReplyFromReader(c, &raw) != REDIS_OK { return "protocol: " + RedisSession.errorText(c) }
            if let reply = raw {
                let value = RedisSession.value(reply.assumingMemoryBound(to: redisReply.self))
                freeReplyObject(reply)
                // ["message", channel, payload]; subscribe/unsubscribe confirmations are ignored.
                if case .array(let parts) = value, parts.count == 3, parts[0].string == "message", let channel = parts[1].string {
                    wake(channel: channel)
                }
            }
        } while raw != nil
        return nil
    }

    private func append(_ c: UnsafeMutablePointer<redisContext>, _ args: [String]) {
        _ = withArgv(args.map { Array($0.utf8) }) { argc, argv, lengths in redisAppendCommandArgv(c, argc, argv, lengths) }
    }
}
