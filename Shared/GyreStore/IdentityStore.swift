import Crypto
import Foundation
import Logging
import GyreModel
import PostgresNIO

/// A user of the installation.
public struct UserRecord: Sendable, Equatable {
    public var id: UUID
    public var login: String
    public var name: String
    public var admin: Bool
    public var active: Bool
    public var createdAt: Date
}

/// An API token as listed: never its secret.
public struct TokenRecord: Sendable, Equatable {
    public var id: UUID
    public var userId: UUID
    public var name: String
    public var project: String?
    public var scope: String?
    public var createdAt: Date
    public var revokedAt: Date?
}

/// Users and API tokens (domain service data). A token's secret is shown
/// once, when it is created; only its SHA-256 is stored, so a lookup hashes
/// what the client sent. Revocation is a row update every frontend replica
/// sees at its next request (no cache).
public struct IdentityStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    static let userColumns = "id, login, name, admin, active, created_at"

    static func user(_ row: (UUID, String, String, Bool, Bool, Date)) -> UserRecord {
        UserRecord(id: row.0, login: row.1, name: row.2, admin: row.3, active: row.4, createdAt: row.5)
    }

    /// Creates a user; the first user of an installation is an admin whatever
    /// `admin` says. Returns the existing user (created false) for a known login.
    /// `cause`: who creates the user (audited as `user.create`); nil records nothing.
    public func createUser(login: String, name: String = "", admin: Bool = false, source: String = "local",
                           cause: AuditCause? = nil) async throws
        -> (user: UserRecord, created: Bool) {
        try await database.transaction { connection in
            // Serialises "is this the first user?" across concurrent creations.
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.usersLock))", database.logger)
            let existing = try await connection.run(
                "SELECT \(unescaped: Self.userColumns) FROM users WHERE login = \(login)", database.logger)
            for try await row in existing.decode((UUID, String, String, Bool, Bool, Date).self) {
                return (Self.user(row), false)
            }
            var first = false
            for try await count in try await connection.run("SELECT count(*)::int FROM users", database.logger).decode(Int.self) {
                first = count == 0
            }
            let rows = try await connection.run("""
                INSERT INTO users (id, login, name, admin, source) VALUES (\(UUID()), \(login), \(name), \(admin || first), \(source))
                RETURNING \(unescaped: Self.userColumns)
                """, database.logger)
            for try await row in rows.decode((UUID, String, String, Bool, Bool, Date).self) {
                let user = Self.user(row)
                if let cause {
                    try await AuditEvents.record(AuditEvent(
                        action: "user.create", actor: cause.actor, target: .user(user.id, name: user.login),
                        payload: ["login": .string(user.login), "admin": .bool(user.admin), "source": .string(source),
                                  "first_user": .bool(first)],
                        request: cause.request), on: connection, logger: database.logger)
                }
                return (user, true)
            }
            throw StoreError(.unavailable, "the user was not stored")
        }
    }

    static let usersLock: Int64 = 0x6779_7573 // "gyus"

    public func user(login: String) async throws -> UserRecord? {
        let rows = try await database.query("SELECT \(unescaped: Self.userColumns) FROM users WHERE login = \(login)")
        for try await row in rows.decode((UUID, String, String, Bool, Bool, Date).self) { return Self.user(row) }
        return nil
    }

    public func user(id: UUID) async throws -> UserRecord? {
        let rows = try await database.query("SELECT \(unescaped: Self.userColumns) FROM users WHERE id = \(id)")
        for try await row in rows.decode((UUID, String, String, Bool, Bool, Date).self) { return Self.user(row) }
        return nil
    }

    /// A new personal token (or, with `project`, a project token of `scope`)
    /// and its secret, which is never stored.
    public func createToken(user: UUID, name: String, project: String? = nil, scope: String? = nil,
                            cause: AuditCause? = nil) async throws -> (token: TokenRecord, secret: String) {
        let secret = Self.newSecret()
        return try await database.transaction { connection in
            let rows = try await connection.run("""
                INSERT INTO api_tokens (id, user_id, name, token_hash, project_slug, scope)
                VALUES (\(UUID()), \(user), \(name), \(Self.hash(secret)), \(project), \(scope))
                RETURNING id, user_id, name, project_slug, scope, created_at
                """, database.logger)
            for try await (id, userId, name, project, scope, created) in
                rows.decode((UUID, UUID, String, String?, String?, Date).self) {
                let token = TokenRecord(id: id, userId: userId, name: name, project: project, scope: scope,
                                        createdAt: created, revokedAt: nil)
                if let cause {
                    try await AuditEvents.record(Self.tokenEvent("user.token.create", token, cause), on: connection,
                                                 logger: database.logger)
                }
                return (token, secret)
            }
            throw StoreError(.unavailable, "the token was not stored")
        }
    }

    /// A token's audit event (never its secret or hash).
    static func tokenEvent(_ action: String, _ token: TokenRecord, _ cause: AuditCause) -> AuditEvent {
        var payload: [String: AuditValue] = ["name": .string(token.name), "token_id": .string(token.id.uuidString.lowercased())]
        if let project = token.project { payload["project_slug"] = .string(project) }
        if let scope = token.scope { payload["scope"] = .string(scope) }
        return AuditEvent(action: action, actor: cause.actor, target: .user(token.userId, name: nil), payload: payload,
                          request: cause.request)
    }

    /// The tokens of a user, newest first, revoked ones included.
    public func tokens(user: UUID) async throws -> [TokenRecord] {
        let rows = try await database.query("""
            SELECT id, user_id, name, project_slug, scope, created_at, revoked_at FROM api_tokens
            WHERE user_id = \(user) ORDER BY created_at DESC
            """)
        var result: [TokenRecord] = []
        for try await (id, userId, name, project, scope, created, revoked) in
            rows.decode((UUID, UUID, String, String?, String?, Date, Date?).self) {
            result.append(TokenRecord(id: id, userId: userId, name: name, project: project, scope: scope,
                                      createdAt: created, revokedAt: revoked))
        }
        return result
    }

    /// Revokes a token of `user` (any user's when `user` is nil); false when there is no such live token.
    public func revokeToken(_ id: UUID, user: UUID?, cause: AuditCause? = nil) async throws -> Bool {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                UPDATE api_tokens SET revoked_at = now()
                WHERE id = \(id) AND revoked_at IS NULL AND (\(user)::uuid IS NULL OR user_id = \(user))
                RETURNING id, user_id, name, project_slug, scope, created_at
                """, database.logger)
            for try await (id, userId, name, project, scope, created) in
                rows.decode((UUID, UUID, String, String?, String?, Date).self) {
                if let cause {
                    let token = TokenRecord(id: id, userId: userId, name: name, project: project, scope: scope,
                                            createdAt: created, revokedAt: Date())
                    try await AuditEvents.record(Self.tokenEvent("user.token.revoke", token, cause), on: connection,
                                                 logger: database.logger)
                }
                return true
            }
            return false
        }
    }

    /// Who holds `secret`: a live token of an active user; nil otherwise.
    public func authenticate(secret: String) async throws -> (user: UserRecord, token: TokenRecord)? {
        try await authenticate(hash: Self.hash(secret))
    }

    /// Who holds the token whose SHA-256 is `hash`.
    public func authenticate(hash: String) async throws -> (user: UserRecord, token: TokenRecord)? {
        let rows = try await database.query("""
            SELECT u.id, u.login, u.name, u.admin, u.active, u.created_at,
                   t.id, t.name, t.project_slug, t.scope, t.created_at
            FROM api_tokens t JOIN users u ON u.id = t.user_id
            WHERE t.token_hash = \(hash) AND t.revoked_at IS NULL AND u.active
            """)
        for try await (uid, login, name, admin, active, created, tid, tname, project, scope, tcreated) in
            rows.decode((UUID, String, String, Bool, Bool, Date, UUID, String, String?, String?, Date).self) {
            let user = UserRecord(id: uid, login: login, name: name, admin: admin, active: active, createdAt: created)
            return (user, TokenRecord(id: tid, userId: uid, name: tname, project: project, scope: scope,
                                      createdAt: tcreated, revokedAt: nil))
        }
        return nil
    }

    /// 40 hexadecimal characters from the system's CSPRNG, as CircleCI's tokens look.
    public static func newSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<20).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return bytes.map { String(format: "%02x", $0) }.joined()
    }

    /// The SHA-256 (hex) under which a token is stored.
    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

extension IdentityStore {
    /// Every user, by login.
    public func users() async throws -> [UserRecord] {
        let rows = try await database.query("SELECT \(unescaped: Self.userColumns) FROM users ORDER BY login")
        var result: [UserRecord] = []
        for try await row in rows.decode((UUID, String, String, Bool, Bool, Date).self) { result.append(Self.user(row)) }
        return result
    }

    /// 1 to 100 letters, digits, `.`, `_` or `-`.
    public static func isLogin(_ text: String) -> Bool {
        !text.isEmpty && text.count <= 100 && text.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) }
    }
}
