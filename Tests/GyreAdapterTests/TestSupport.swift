import Foundation
import GyreAMQP
import GyreRedis
import Logging

enum TestEnv {
    static var amqpURL: String {
        ProcessInfo.processInfo.environment["GYRE_TEST_AMQP_URL"] ?? "amqp://guest:guest@127.0.0.1:5672/"
    }

    static var redisURL: String {
        ProcessInfo.processInfo.environment["GYRE_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0"
    }

    static func amqpConfig() throws -> AMQPConfig {
        var config = try AMQPConfig(url: amqpURL)
        config.connectionName = "gyre-adapter-tests"
        return config
    }

    static func redisConfig() throws -> RedisConfig {
        try RedisConfig(url: redisURL)
    }

    static var logger: Logger {
        var logger = Logger(label: "gyre.adapter-tests")
        logger.logLevel = .warning
        return logger
    }

    /// A name unique to this test run, so parallel runs do not collide.
    static func unique(_ prefix: String) -> String {
        "gyre-test-\(prefix)-" + String(UInt64.random(in: 0..<UInt64.max), radix: 36)
    }
}

struct TestTimeout: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body` but fails with `TestTimeout` if it takes longer than `timeout`.
func withTimeout<T: Sendable>(_ timeout: Duration, _ what: String,
                              _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw TestTimeout(what: what)
        }
        let first = try await group.next()!
        group.cancelAll()
        return first
    }
}

/// Collects `count` deliveries from the consumer's stream (calling `handle` on each as it
/// arrives), failing after `timeout`. Note: a timeout cancels the iteration, which terminates
/// the consumer's stream.
func collect(_ consumer: AMQPConsumer, count: Int, timeout: Duration = .seconds(15),
             handle: @escaping @Sendable (AMQPDelivery) -> Void = { _ in }) async throws -> [AMQPDelivery] {
    try await withTimeout(timeout, "\(count) deliveries") {
        var received: [AMQPDelivery] = []
        guard count > 0 else { return received }
        for await delivery in consumer.deliveries() {
            handle(delivery)
            received.append(delivery)
            if received.count == count { break }
        }
        return received
    }
}
