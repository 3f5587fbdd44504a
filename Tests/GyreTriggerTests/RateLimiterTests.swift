import Foundation
import GyreRedis
import Logging
import Testing
@testable import FrontendService

/// The rate limiter's token bucket, run by the real Redis (its script and clock).
@Suite struct RateLimiterTests {
    static func redis() throws -> RedisClient {
        let url = ProcessInfo.processInfo.environment["GYRE_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379/0"
        return RedisClient(config: try RedisConfig(url: url), logger: Logger(label: "test"))
    }

    @Test func aBurstPassesThenCallersWaitAndOthersAreNotAffected() async throws {
        let namespace = "ratelimit-test-\(UUID().uuidString.prefix(8))"
        // One request per 100 s refills: however slow this machine is, nothing refills during the test.
        let limiter = RateLimiter(redis: try Self.redis(), namespace: namespace, perSecond: 0.01, burst: 5)
        var waits: [Int] = []
        for _ in 0..<7 { waits.append(await limiter.waitMilliseconds(caller: "user:a")) }
        #expect(waits.prefix(5).allSatisfy { $0 == 0 }, "\(waits)")
        // Beyond the burst: wait until one request has refilled (up to 100 s).
        #expect(waits.suffix(2).allSatisfy { $0 > 90_000 && $0 <= 100_000 }, "\(waits)")
        // Another caller has a bucket of its own.
        #expect(await limiter.waitMilliseconds(caller: "user:b") == 0)
    }

    @Test func theBucketRefillsAtItsRate() async throws {
        let namespace = "ratelimit-test-\(UUID().uuidString.prefix(8))"
        let limiter = RateLimiter(redis: try Self.redis(), namespace: namespace, perSecond: 5, burst: 1)
        #expect(await limiter.waitMilliseconds(caller: "user:a") == 0)
        // 300 ms at 5 per second refill at least one request.
        try await Task.sleep(for: .milliseconds(300))
        #expect(await limiter.waitMilliseconds(caller: "user:a") == 0)
    }

    @Test func zeroDisablesTheLimit() async throws {
        let limiter = RateLimiter(redis: try Self.redis(), namespace: "ratelimit-off", perSecond: 0, burst: 0)
        for _ in 0..<10 { #expect(await limiter.waitMilliseconds(caller: "user:a") == 0) }
    }
}
