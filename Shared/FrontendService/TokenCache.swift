import Foundation
import GyreRedis
import GyreServiceKit
import Synchronization

/// Callers of recently seen tokens, so most requests need no database query.
/// Coherent across frontend replicas: a revocation increments a generation
/// in Redis, which every request reads (one round trip), and an entry cached
/// under another generation is not used. Without Redis nothing is cached.
final class TokenCache: Sendable {
    let redis: RedisClient
    let key: String
    private let state = Mutex<(generation: String, entries: [String: Caller])>(("", [:]))
    static let maxEntries = 10_000

    init(redis: RedisClient, namespace: String) {
        self.redis = redis
        key = "\(namespace):auth:generation"
    }

    /// The current generation, or nil when Redis cannot say (then nothing is cached).
    func generation() async -> String? {
        switch try? await redis.command(["GET", key]) {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .null: return "0"
        default: return nil
        }
    }

    func caller(for hash: String, generation: String) -> Caller? {
        state.withLock { $0.generation == generation ? $0.entries[hash] : nil }
    }

    func remember(_ caller: Caller, for hash: String, generation: String) {
        state.withLock { state in
            if state.generation != generation || state.entries.count >= Self.maxEntries {
                state = (generation, [:])
            }
            state.entries[hash] = caller
        }
    }

    /// After a revocation: every replica's cached callers stop counting.
    func invalidate() async {
        state.withLock { $0.entries = [:] }
        _ = try? await redis.command(["INCR", key])
    }
}
