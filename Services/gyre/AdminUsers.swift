import ArgumentParser
import Foundation
import GyreRedis
import GyreSecrets
import GyreStore
import Logging

/// `gyre admin promote|demote|deactivate|activate|delete-user|stats`: the
/// seed's user administration, without a REPL. They write Postgres directly
/// and then tell every frontend replica (through Redis) to forget cached callers and decisions.
extension Admin {
    struct CacheConnection: ParsableArguments {
        @Option(name: .customLong("redis-url"), help: "Redis URL (default: $GYRE_REDIS_URL), to end cached sessions and decisions.")
        var redisURL: String? = ProcessInfo.processInfo.environment["GYRE_REDIS_URL"]
        @Option(help: "The installation's namespace (default: $GYRE_NAMESPACE or gyre).")
        var namespace: String = ProcessInfo.processInfo.environment["GYRE_NAMESPACE"] ?? "gyre"

        /// Every cached caller and access decision stops counting (as a frontend does after the same change).
        func invalidate() async {
            guard let url = redisURL, !url.isEmpty, let config = try? RedisConfig(url: url) else {
                FileHandle.standardError.write(Data("note: no --redis-url/GYRE_REDIS_URL: frontends may use cached rights for up to an hour\n".utf8))
                return
            }
            let client = RedisClient(config: config, logger: Logger(label: "gyre.admin"))
            for key in ["\(namespace):auth:generation", "\(namespace):perm:generation"] {
                _ = try? await client.command(["INCR", key])
            }
        }
    }

}

/// A `gyre admin` command that changes one user, then ends cached rights on every frontend.
protocol UserChangeCommand: AsyncParsableCommand {
    static var change: IdentityStore.UserChange { get }
    static var outcome: String { get }
    var login: String { get }
    var connection: Admin.Connection { get }
    var cache: Admin.CacheConnection { get }
}

extension UserChangeCommand {
    func run() async throws {
        let (login, change) = (self.login, Self.change)
        let user = try await connection.withDatabase { database in
            try await IdentityStore(database: database).change(login: login, change, cause: Admin.cause)
        }
        await cache.invalidate()
        print("\(user.login) \(Self.outcome)")
    }
}

extension Admin {

    struct Promote: UserChangeCommand {
        static let configuration = CommandConfiguration(abstract: "Make a user an installation admin.")
        static let change = IdentityStore.UserChange.admin(true)
        static let outcome = "is an admin"
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
    }

    struct Demote: UserChangeCommand {
        static let configuration = CommandConfiguration(abstract: "Take a user's installation admin rights (one admin always remains).")
        static let change = IdentityStore.UserChange.admin(false)
        static let outcome = "is no longer an admin"
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
    }

    struct Deactivate: UserChangeCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate a user: their tokens and sessions stop working at once; their history stays.")
        static let change = IdentityStore.UserChange.active(false)
        static let outcome = "is deactivated"
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
    }

    struct Activate: UserChangeCommand {
        static let configuration = CommandConfiguration(abstract: "Reactivate a deactivated user.")
        static let change = IdentityStore.UserChange.active(true)
        static let outcome = "is active"
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
    }

    struct DeleteUser: UserChangeCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-user", abstract: "Delete a user with their tokens, sessions and memberships.")
        static let change = IdentityStore.UserChange.delete
        static let outcome = "is deleted"
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "User statistics: name, login, emails, admin, activated, sign-in count and history (the seed's REPL query).")
        @Option(help: "all (all time) or month (signed in during the last month).") var period: String = "all"
        @OptionGroup var connection: Connection
        func run() async throws {
            let since: Date?
            switch period {
            case "all": since = nil
            case "month": since = Calendar(identifier: .gregorian).date(byAdding: .month, value: -1, to: Date())
            default: throw ValidationError("--period must be all or month")
            }
            let users = try await connection.withDatabase { database in
                try await IdentityStore(database: database).userDetails(signedInSince: since)
            }
            let format = ISO8601DateFormatter()
            let when: (Date?) -> String = { $0.map(format.string(from:)) ?? "-" }
            print(["LOGIN", "NAME", "EMAILS", "ADMIN", "ACTIVATED", "SIGN-INS", "CURRENT SIGN-IN", "FROM", "LAST SIGN-IN", "FROM"]
                .joined(separator: "\t"))
            for user in users {
                print([user.login, user.name.isEmpty ? "-" : user.name, user.emails.isEmpty ? "-" : user.emails.joined(separator: ","),
                       String(user.admin), String(user.active), String(user.signInCount), when(user.currentSignInAt),
                       user.currentSignInIP ?? "-", when(user.lastSignInAt), user.lastSignInIP ?? "-"].joined(separator: "\t"))
            }
            print("\(users.count) users (\(period == "all" ? "all time" : "signed in during the last month")), "
                  + "\(users.filter(\.admin).count) admins, \(users.map(\.signInCount).reduce(0, +)) sign-ins")
        }
    }
}

extension Admin {
    struct RotateKEK: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-kek",
            abstract: "Re-wrap every data key under a new key-encryption key (secrets themselves are not re-encrypted). "
                + "Then give the services the new GYRE_KEK_FILE and restart them one by one; the old key can be destroyed.")
        @Option(help: "The current key-encryption key file (default: $GYRE_KEK_FILE).")
        var kekFile: String? = ProcessInfo.processInfo.environment["GYRE_KEK_FILE"]
        @Option(help: "The new key-encryption key file (32 random bytes, base64: head -c 32 /dev/urandom | base64).")
        var newKekFile: String
        @OptionGroup var connection: Connection

        func run() async throws {
            guard let kekFile, let current = try KeyEncryptionKey.fromEnvironment(["GYRE_KEK_FILE": kekFile]) else {
                throw ValidationError("give the current key: --kek-file or GYRE_KEK_FILE")
            }
            guard let next = try KeyEncryptionKey.fromEnvironment(["GYRE_KEK_FILE": newKekFile]) else {
                throw ValidationError("--new-kek-file: no key")
            }
            let count = try await connection.withDatabase { database in
                try await SecretKeys(database: database, kek: current).rewrap(to: next)
            }
            print("re-wrapped \(count) data keys from key-encryption key \(current.id) to \(next.id)")
        }
    }
}
