import GyreRedis
import Synchronization
import Testing

/// Pub/sub against the real server: wake-ups per channel, subscriptions that follow the listeners, and a
/// reconnect after the server drops the connection.
@Suite("Redis subscriber against redis-server", .serialized)
struct RedisSubscriberTests {
    let prefix = TestEnv.unique("sub") + ":"

    /// Counts a stream's wake-ups (one consumer for the stream's whole life).
    final class Counter: Sendable {
        let count = Mutex(0)
    }

    final class Wakes: Sendable {
        let counter = Counter()
        let task: Task<Void, Never>

        init(_ stream: AsyncStream<Void>) {
            let counter = self.counter
            task = Task { for await _ in stream { counter.count.withLock { $0 += 1 } } }
        }

        var value: Int { counter.count.withLock { $0 } }

        /// Whether the count passes `seen` within `seconds`.
        func exceed(_ seen: Int, within seconds: Double = 5) async -> Bool {
            let deadline = ContinuousClock.now + .seconds(seconds)
            while ContinuousClock.now < deadline {
                if value > seen { return true }
                try? await Task.sleep(for: .milliseconds(10))
            }
            return value > seen
        }
    }

    /// Publishes on `channel` until the server says `receivers` listen (subscribing is asynchronous).
    func publish(_ redis: RedisClient, _ channel: String, expecting receivers: Int64) async throws -> Int64 {
        var got: Int64 = -1
        for _ in 0..<200 {
            got = try await redis.command(["PUBLISH", channel, "x"]).int ?? -1
            if got == receivers { return got }
            try await Task.sleep(for: .milliseconds(20))
        }
        return got
    }

    @Test func listenersHearTheirChannelOnlyAndUnsubscribeWhenGone() async throws {
        let config = try TestEnv.redisConfig()
        let subscriber = RedisSubscriber(config: config, logger: TestEnv.logger)
        let redis = RedisClient(config: config, logger: TestEnv.logger)
        let a = prefix + "a", b = prefix + "b"
        let wakesA = Wakes(subscriber.stream(channel: a))
        let wakesB = Wakes(subscriber.stream(channel: b))
        #expect(try await publish(redis, a, expecting: 1) == 1, "the subscriber is subscribed to \(a)")
        #expect(try await publish(redis, b, expecting: 1) == 1, "the subscriber is subscribed to \(b)")
        try await Task.sleep(for: .milliseconds(200))
        let (beforeA, beforeB) = (wakesA.value, wakesB.value)
        _ = try await redis.command(["PUBLISH", a, "x"])
        #expect(await wakesA.exceed(beforeA), "a listener of \(a) hears a message on it")
        try await Task.sleep(for: .milliseconds(200))
        #expect(wakesB.value == beforeB, "a listener of \(b) does not hear \(a)")
        #expect(subscriber.channelCount == 2)
        // The listener of b goes: the subscription follows.
        wakesB.task.cancel()
        #expect(try await publish(redis, b, expecting: 0) == 0, "nobody is subscribed to \(b) any more")
        #expect(subscriber.channelCount == 1)
        #expect(try await publish(redis, a, expecting: 1) == 1, "\(a) still is")
        wakesA.task.cancel()
    }

    @Test func aDroppedConnectionIsReopenedAndListenersLookAgain() async throws {
        let config = try TestEnv.redisConfig()
        let subscriber = RedisSubscriber(config: config, logger: TestEnv.logger)
        let redis = RedisClient(config: config, logger: TestEnv.logger)
        let channel = prefix + "drop"
        let wakes = Wakes(subscriber.stream(channel: channel))
        #expect(try await publish(redis, channel, expecting: 1) == 1)
        try await Task.sleep(for: .milliseconds(200))
        let before = wakes.value
        // The server drops every pub/sub connection (as on a restart): other subscribers reconnect too.
        let killed = try await redis.command(["CLIENT", "KILL", "TYPE", "pubsub"]).int ?? 0
        #expect(killed >= 1)
        #expect(await wakes.exceed(before), "after the reconnect every listener is told to look again")
        #expect(try await publish(redis, channel, expecting: 1) == 1, "subscribed again after the reconnect")
        let after = wakes.value
        _ = try await redis.command(["PUBLISH", channel, "x"])
        #expect(await wakes.exceed(after), "and messages arrive")
        wakes.task.cancel()
    }
}
