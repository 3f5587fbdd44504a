import ArgumentParser
import Foundation
import GyreModel
import GyrePasswords
import GyreStore
import Logging

/// Installation bootstrapping and user administration, talking to Postgres
/// directly so it works on a fresh system before anyone can sign in.
struct Admin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Users and API tokens: create, promote, demote, deactivate, delete, statistics; drain or undrain a build agent (talks to Postgres directly, so it works on a fresh installation).",
        subcommands: [CreateUser.self, CreateToken.self, Promote.self, Demote.self, Deactivate.self, Activate.self,
                       DeleteUser.self, Stats.self, RotateKEK.self, Drain.self, Undrain.self])

    /// How `gyre admin` appears in the audit log: Gyre itself, from the command line (no HTTP request).
    static let cause = AuditCause(actor: AuditEvent.Entity(id: AuditEvent.Entity.system.id, type: "system", name: "gyre admin"),
                                  request: nil)

    struct Connection: ParsableArguments {
        @Option(name: .customLong("postgres-url"), help: "Postgres URL (default: $GYRE_POSTGRES_URL).")
        var postgresURL: String? = ProcessInfo.processInfo.environment["GYRE_POSTGRES_URL"]

        /// Runs `body` with a migrated database.
        func withDatabase<T: Sendable>(_ body: @Sendable (Database) async throws -> T) async throws -> T {
            guard let url = postgresURL, !url.isEmpty else {
                throw ValidationError("give the database: --postgres-url or GYRE_POSTGRES_URL (see .run/infra.env)")
            }
            var logger = Logger(label: "gyre.admin")
            logger.logLevel = .error
            let database = Database(config: try DatabaseConfig(url: url), maxConnections: 2, logger: logger)
            return try await withThrowingTaskGroup(of: T?.self) { group in
                group.addTask { try await database.run(); return nil }
                defer { group.cancelAll() }
                try await Migrations.migrate(database)
                return try await body(database)
            }
        }
    }

    struct CreateUser: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-user",
            abstract: "Create a user (the installation's first user is an admin). Prints the user's id.")

        @Argument(help: "The login (letters, digits, '.', '_', '-').") var login: String
        @Option(help: "Display name.") var name: String = ""
        @Flag(help: "Make the user an installation admin.") var admin = false
        @Flag(help: "Read a password for local sign-in from standard input (one line; never from the command line).")
        var passwordStdin = false
        @OptionGroup var connection: Connection

        func run() async throws {
            guard IdentityStore.isLogin(login) else { throw ValidationError("login must be 1 to 100 letters, digits, '.', '_' or '-'") }
            var passwordHash: String?
            if passwordStdin {
                let password = (readLine(strippingNewline: true) ?? "")
                if let problem = Passwords.problem(password) { throw ValidationError(problem) }
                passwordHash = try Passwords.hash(password)
            }
            let (login, name, admin, hash) = (self.login, self.name, self.admin, passwordHash)
            let (user, created) = try await connection.withDatabase { database in
                let identity = IdentityStore(database: database)
                let (user, created) = try await identity.createUser(login: login, name: name, admin: admin, cause: Admin.cause)
                if let hash { try await identity.setPassword(user: user.id, hash: hash) }
                return (user, created)
            }
            print(created ? "created user \(user.login) (\(user.id.uuidString.lowercased()))\(user.admin ? ", admin" : "")"
                          : "user \(user.login) exists (\(user.id.uuidString.lowercased()))\(user.admin ? ", admin" : "")")
        }
    }

    struct CreateToken: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create-token",
            abstract: "Create a personal API token for a user and print it (shown once; only a hash is stored).")

        @Argument(help: "The user's login.") var login: String
        @Option(help: "What the token is for.") var name: String = "cli"
        @OptionGroup var connection: Connection

        func run() async throws {
            let (login, name) = (self.login, self.name)
            let secret: String? = try await connection.withDatabase { database in
                let identity = IdentityStore(database: database)
                guard let user = try await identity.user(login: login) else { return nil }
                return try await identity.createToken(user: user.id, name: name, cause: Admin.cause).secret
            }
            guard let secret else {
                FileHandle.standardError.write(Data("gyre admin create-token: no user \(login); create it with gyre admin create-user\n".utf8))
                throw ExitCode(1)
            }
            print(secret)
        }
    }
}
