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
        let limiter = RateLimiter(redis: try Self.redis(), namespace: namespace, perSecond: 2, burst: 5)
        var waits: [Int] = []
        for _ in 0..<7 { waits.append(await limiter.waitMilliseconds(caller: "user:a")) }
        #expect(waits.prefix(5).allSatisfy { $0 == 0 }, "\(waits)")
        #expect(waits.suffix(2).allSatisfy { $0 > 0 && $0 <= 500 }, "\(waits)")
        // Another caller has a bucket of its own.
        #expect(await limiter.waitMilliseconds(caller: "user:b") == 0)
        // The bucket refills at the rate: after 600 ms one more request passes.
        try await Task.sleep(for: .milliseconds(600))
        #expect(await limiter.waitMilliseconds(caller: "user:a") == 0)
        #expect(await limiter.waitMilliseconds(caller: "user:a") > 0)
    }

    @Test func zeroDisablesTheLimit() async throws {
        let limiter = RateLimiter(redis: try Self.redis(), namespace: "ratelimit-off", perSecond: 0, burst: 0)
        for _ in 0..<10 { #expect(await limiter.waitMilliseconds(caller: "user:a") == 0) }
    }
}
