import ArgumentParser
import Foundation
import GyreRedis
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

    static func change(_ login: String, _ change: IdentityStore.UserChange, connection: Connection,
                       cache: CacheConnection) async throws -> UserRecord {
        let user = try await connection.withDatabase { database in
            try await IdentityStore(database: database).change(login: login, change)
        }
        await cache.invalidate()
        return user
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make a user an installation admin.")
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
        func run() async throws {
            let user = try await Admin.change(login, .admin(true), connection: connection, cache: cache)
            print("\(user.login) is an admin")
        }
    }

    struct Demote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Take a user's installation admin rights (one admin always remains).")
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
        func run() async throws {
            let user = try await Admin.change(login, .admin(false), connection: connection, cache: cache)
            print("\(user.login) is no longer an admin")
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate a user: their tokens and sessions stop working at once; their history stays.")
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
        func run() async throws {
            let user = try await Admin.change(login, .active(false), connection: connection, cache: cache)
            print("\(user.login) is deactivated")
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Reactivate a deactivated user.")
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
        func run() async throws {
            let user = try await Admin.change(login, .active(true), connection: connection, cache: cache)
            print("\(user.login) is active")
        }
    }

    struct DeleteUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "delete-user", abstract: "Delete a user with their tokens, sessions and memberships.")
        @Argument(help: "The user's login.") var login: String
        @OptionGroup var connection: Connection
        @OptionGroup var cache: CacheConnection
        func run() async throws {
            _ = try await Admin.change(login, .delete, connection: connection, cache: cache)
            print("deleted \(login)")
        }
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
