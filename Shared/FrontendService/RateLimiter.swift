import Foundation
import GyreRedis
import Synchronization

/// API rate limits per caller, as CircleCI Server's frontend has them: a
/// token bucket of `burst` requests (300) refilled at `perSecond` (150/s),
/// kept in Redis so every frontend replica counts the same requests (one
/// round trip, a Lua script with Redis's own clock). Over the limit the answer
/// is 429 with Retry-After. Without Redis nothing is limited.
final class RateLimiter: Sendable {
    let redis: RedisClient
    let namespace: String
    /// Requests per second refilled (fractions allowed).
    let perSecond: Double
    let burst: Int
    private let sha = Mutex<String?>(nil)

    init(redis: RedisClient, namespace: String, perSecond: Double, burst: Int) {
        self.redis = redis
        self.namespace = namespace
        self.perSecond = perSecond
        self.burst = burst
    }

    var enabled: Bool { perSecond > 0 && burst > 0 }

    static let script = """
        local rate = tonumber(ARGV[1])
        local burst = tonumber(ARGV[2])
        local clock = redis.call('TIME')
        local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
        local state = redis.call('HMGET', KEYS[1], 't', 'ts')
        local tokens = tonumber(state[1])
        local stamp = tonumber(state[2])
        if tokens == nil or stamp == nil then tokens = burst; stamp = now end
        tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate / 1000)
        local wait = 0
        if tokens >= 1 then tokens = tokens - 1 else wait = math.ceil((1 - tokens) * 1000 / rate) end
        redis.call('HSET', KEYS[1], 't', tostring(tokens), 'ts', tostring(now))
        redis.call('PEXPIRE', KEYS[1], math.ceil(burst * 1000 / rate) + 1000)
        return wait
        """

    /// Milliseconds the caller must wait before this request may run; 0 to go on.
    func waitMilliseconds(caller: String) async -> Int {
        guard enabled else { return 0 }
        let key = "\(namespace):ratelimit:\(caller)"
        let arguments = [key, String(perSecond), String(burst)]

        if let known = sha.withLock({ $0 }),
           case .integer(let wait)? = try? await redis.command(["EVALSHA", known, "1"] + arguments) {
            return Int(wait)
        }
        if case .bulk(let bytes)? = try? await redis.command(["SCRIPT", "LOAD", Self.script]) {
            let loaded = String(decoding: bytes, as: UTF8.self)
            sha.withLock { $0 = loaded }
            if case .integer(let wait)? = try? await redis.command(["EVALSHA", loaded, "1"] + arguments) { return Int(wait) }
        }
        return 0
    }
}
