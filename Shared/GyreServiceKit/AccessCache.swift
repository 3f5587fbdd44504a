import Foundation
import GyreModel
import GyreRedis
import Synchronization

/// Access decisions cached in Redis, shared by every replica of every service:
/// a hash per generation (`<ns>:perm:<generation>`, field `user|organization|project`).
/// A change of roles, users or memberships increments the generation, so every
/// cached decision stops counting at once on every replica; a restart loses nothing.
public final class AccessCache: Sendable {
    let redis: RedisClient
    let generationKey: String
    let namespace: String
    static let ttlSeconds = 3600
    /// This process's copy of recent decisions of the current generation (saves the hash lookup).
    private let local = Mutex<(generation: String, entries: [String: AccessLevel])>(("", [:]))

    public init(redis: RedisClient, namespace: String) {
        self.redis = redis
        self.namespace = namespace
        generationKey = "\(namespace):perm:generation"
    }

    public static func field(user: UUID, organization: String, project: String?) -> String {
        "\(user.uuidString.lowercased())|\(organization)|\(project ?? "-")"
    }

    /// The current generation; nil when Redis cannot say (then nothing is cached).
    public func generation() async -> String? {
        switch try? await redis.command(["GET", generationKey]) {
        case .bulk(let bytes): return String(decoding: bytes, as: UTF8.self)
        case .null: return "0"
        default: return nil
        }
    }

    public func cached(_ field: String, generation: String) async -> AccessLevel? {
        if let level = local.withLock({ $0.generation == generation ? $0.entries[field] : nil }) { return level }
        guard case .bulk(let bytes)? = try? await redis.command(["HGET", "\(namespace):perm:\(generation)", field]),
              let level = AccessLevel(rawValue: String(decoding: bytes, as: UTF8.self)) else { return nil }
        remember(field, level, generation: generation)
        return level
    }

    public func store(_ field: String, _ level: AccessLevel, generation: String) async {
        let key = "\(namespace):perm:\(generation)"
        _ = try? await redis.pipeline([
            ["HSET", key, field, level.rawValue].map { Array($0.utf8) },
            ["EXPIRE", key, String(Self.ttlSeconds)].map { Array($0.utf8) },
        ])
        remember(field, level, generation: generation)
    }

    private func remember(_ field: String, _ level: AccessLevel, generation: String) {
        local.withLock { state in
            if state.generation != generation || state.entries.count >= 10_000 { state = (generation, [:]) }
            state.entries[field] = level
        }
    }

    /// After any change of roles, memberships, or users: every replica's decisions stop counting.
    public func invalidate() async {
        local.withLock { $0.entries = [:] }
        _ = try? await redis.command(["INCR", generationKey])
    }
}
