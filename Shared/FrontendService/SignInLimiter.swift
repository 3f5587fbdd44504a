import Foundation
import GyreRedis

/// Sign-in attempts are rate-limited in Redis (shared by every frontend
/// replica): at most `perLogin` failed attempts per login and `perAddress`
/// attempts per client address in a window; beyond that the answer is 429
/// with Retry-After until the window ends. A success clears the login's failures.
struct SignInLimiter: Sendable {
    let redis: RedisClient
    let namespace: String
    var window = 300
    var perLogin = 5
    var perAddress = 30

    /// Seconds to wait, when the caller must wait; nil to go on. Counts this attempt for the address.
    func check(login: String, ip: String?) async -> Int? {
        let loginKey = "\(namespace):signin:fail:\(login.lowercased())"
        let addressKey = "\(namespace):signin:ip:\(ip ?? "-")"
        let bytes: ([String]) -> [[UInt8]] = { $0.map { Array($0.utf8) } }
        guard let replies = try? await redis.pipeline([
            bytes(["GET", loginKey]), bytes(["TTL", loginKey]),
            bytes(["INCR", addressKey]), bytes(["EXPIRE", addressKey, String(window), "NX"]), bytes(["TTL", addressKey]),
        ]), replies.count == 5 else { return nil }  // without Redis sign-in still works, unlimited
        if Self.int(replies[0]) >= perLogin { return max(Self.int(replies[1]), 1) }
        if Self.int(replies[2]) > perAddress { return max(Self.int(replies[4]), 1) }
        return nil
    }

    func failed(login: String) async {
        let key = "\(namespace):signin:fail:\(login.lowercased())"
        _ = try? await redis.pipeline([["INCR", key], ["EXPIRE", key, String(window), "NX"]].map { $0.map { Array($0.utf8) } })
    }

    func succeeded(login: String) async {
        _ = try? await redis.command(["DEL", "\(namespace):signin:fail:\(login.lowercased())"])
    }

    static func int(_ value: RedisValue) -> Int {
        switch value {
        case .integer(let n): return Int(n)
        case .bulk(let bytes): return Int(String(decoding: bytes, as: UTF8.self)) ?? 0
        default: return 0
        }
    }
}
