import Foundation
import GyreModel
import Logging
import PostgresNIO

/// A user as the admin pages and `gyre admin stats` list them: the seed's
/// user-statistics fields (name, login, emails, admin, activated, sign-in history).
public struct UserDetails: Sendable, Equatable {
    public var id: UUID
    public var login: String
    public var name: String
    public var emails: [String]
    public var admin: Bool
    public var active: Bool
    public var source: String
    public var signInCount: Int
    public var currentSignInAt: Date?
    public var currentSignInIP: String?
    public var lastSignInAt: Date?
    public var lastSignInIP: String?
    public var createdAt: Date
}

/// Installation admins manage users: promote, demote, deactivate, delete, statistics.
extension IdentityStore {
    /// Users with their sign-in history; with `signedInSince`, only those who signed in after it (e.g. last month).
    public func userDetails(signedInSince: Date? = nil) async throws -> [UserDetails] {
        let rows = try await database.query("""
            SELECT id, login, name, emails::text, admin, active, source, sign_in_count, current_sign_in_at,
                   current_sign_in_ip, last_sign_in_at, last_sign_in_ip, created_at
            FROM users WHERE \(signedInSince)::timestamptz IS NULL OR current_sign_in_at > \(signedInSince)
            ORDER BY login
            """)
        var result: [UserDetails] = []
        for try await (id, login, name, emails, admin, active, source, count, currentAt, currentIP, lastAt, lastIP, created) in
            rows.decode((UUID, String, String, String, Bool, Bool, String, Int, Date?, String?, Date?, String?, Date).self) {
            let list = (try? JSONDecoder().decode([String].self, from: Data(emails.utf8))) ?? []
            result.append(UserDetails(id: id, login: login, name: name, emails: list, admin: admin, active: active,
                                      source: source, signInCount: count, currentSignInAt: currentAt,
                                      currentSignInIP: currentIP, lastSignInAt: lastAt, lastSignInIP: lastIP,
                                      createdAt: created))
        }
        return result
    }

    public enum UserChange: Sendable {
        case admin(Bool)
        case active(Bool)
        case delete
    }

    /// Promotes, demotes, deactivates, reactivates or deletes a user. The
    /// installation always keeps one active admin: a change that would leave
    /// none is refused (409). Deactivating or deleting ends the user's sessions.
    /// Audited as `user.admin.grant` / `user.admin.revoke`, `user.suspended` / `user.reactivated`, `user.delete`.
    public func change(login: String, _ change: UserChange, cause: AuditCause? = nil) async throws -> UserRecord {
        try await database.transaction { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.usersLock))", database.logger)
            var found: UserRecord?
            for try await row in try await connection.run(
                "SELECT \(unescaped: Self.userColumns) FROM users WHERE login = \(login) FOR UPDATE", database.logger
            ).decode((UUID, String, String, Bool, Bool, Date).self) { found = Self.user(row) }
            guard var user = found else { throw StoreError(.notFound, "no user \(login)") }
            let removesAnAdmin: Bool
            switch change {
            case .admin(let admin): removesAnAdmin = user.admin && user.active && !admin
            case .active(let active): removesAnAdmin = user.admin && user.active && !active
            case .delete: removesAnAdmin = user.admin && user.active
            }
            if removesAnAdmin {
                var others = 0
                for try await count in try await connection.run(
                    "SELECT count(*)::int FROM users WHERE admin AND active AND id <> \(user.id)", database.logger
                ).decode(Int.self) { others = count }
                guard others > 0 else {
                    throw StoreError(.conflict, "\(login) is the last active admin; promote another user first")
                }
            }
            switch change {
            case .admin(let admin):
                try await connection.run("UPDATE users SET admin = \(admin) WHERE id = \(user.id)", database.logger)
                user.admin = admin
            case .active(let active):
                try await connection.run("""
                    UPDATE users SET active = \(active), deactivated_at = CASE WHEN \(active) THEN NULL ELSE now() END
                    WHERE id = \(user.id)
                    """, database.logger)
                if !active { try await connection.run("DELETE FROM sessions WHERE user_id = \(user.id)", database.logger) }
                user.active = active
            case .delete:
                try await connection.run("DELETE FROM users WHERE id = \(user.id)", database.logger)
            }
            if let cause {
                let action: String
                switch change {
                case .admin(let admin): action = admin ? "user.admin.grant" : "user.admin.revoke"
                case .active(let active): action = active ? "user.reactivated" : "user.suspended"
                case .delete: action = "user.delete"
                }
                try await AuditEvents.record(AuditEvent(
                    action: action, actor: cause.actor, target: .user(user.id, name: user.login),
                    payload: ["login": .string(user.login), "admin": .bool(user.admin), "active": .bool(user.active)],
                    request: cause.request), on: connection, logger: database.logger)
            }
            return user
        }
    }

    // MARK: sign-in

    /// Records a successful sign-in: the counters the seed's statistics list, and the history.
    /// Audited as `user.logged_in` (actor and target: the user).
    public func recordSignIn(user: UUID, login: String, method: String, ip: String?,
                             request: AuditEvent.Request? = nil) async throws {
        try await database.transaction { connection in
            let entity = AuditEvent.Entity.user(user, name: login)
            try await AuditEvents.record(AuditEvent(
                action: "user.logged_in", actor: entity, target: entity, payload: ["method": .string(method)],
                request: request), on: connection, logger: database.logger)
            try await connection.run("""
                UPDATE users SET sign_in_count = sign_in_count + 1,
                    last_sign_in_at = current_sign_in_at, last_sign_in_ip = current_sign_in_ip,
                    current_sign_in_at = now(), current_sign_in_ip = \(ip)
                WHERE id = \(user)
                """, database.logger)
            try await connection.run("""
                INSERT INTO sign_ins (user_id, login, method, success, ip) VALUES (\(user), \(login), \(method), true, \(ip))
                """, database.logger)
        }
    }

    /// A refused sign-in: in the history, and audited as `user.logged_in` with `success: false`
    /// (the actor is the user when the login exists, else the login as it was typed).
    public func recordFailedSignIn(login: String, method: String, ip: String?, request: AuditEvent.Request? = nil) async throws {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                INSERT INTO sign_ins (user_id, login, method, success, ip)
                VALUES ((SELECT id FROM users WHERE login = \(login)), \(login), \(method), false, \(ip))
                RETURNING user_id
                """, database.logger)
            var id: UUID?
            for try await found in rows.decode(UUID?.self) { id = found }
            let entity = id.map { AuditEvent.Entity.user($0, name: login) } ?? AuditEvent.Entity(id: login, type: "user", name: login)
            try await AuditEvents.record(AuditEvent(
                action: "user.logged_in", actor: entity, target: entity, payload: ["method": .string(method)],
                success: false, request: request), on: connection, logger: database.logger)
        }
    }

    /// The stored password hash of a local user (nil: no password set).
    public func credentials(login: String) async throws -> (user: UserRecord, passwordHash: String?, source: String)? {
        let rows = try await database.query(
            "SELECT \(unescaped: Self.userColumns), password_hash, source FROM users WHERE login = \(login)")
        for try await (id, login, name, admin, active, created, hash, source) in
            rows.decode((UUID, String, String, Bool, Bool, Date, String?, String).self) {
            return (UserRecord(id: id, login: login, name: name, admin: admin, active: active, createdAt: created), hash, source)
        }
        return nil
    }

    public func setPassword(user: UUID, hash: String) async throws {
        try await database.query("UPDATE users SET password_hash = \(hash) WHERE id = \(user)")
    }

    /// A user signing in through LDAP for the first time is created (the first user of an installation becomes admin);
    /// their name, emails and DN follow the directory.
    public func upsertLDAPUser(login: String, name: String, emails: [String], dn: String,
                               request: AuditEvent.Request? = nil) async throws -> (user: UserRecord, created: Bool) {
        // Created by its own first sign-in: the directory (Gyre) is the actor.
        let (user, created) = try await createUser(login: login, name: name, source: "ldap",
                                                   cause: AuditCause(actor: .system, request: request))
        let emailsJSON = String(decoding: (try? JSONEncoder().encode(emails)) ?? Data("[]".utf8), as: UTF8.self)
        try await database.query("""
            UPDATE users SET name = \(name), emails = \(emailsJSON)::jsonb, ldap_dn = \(dn) WHERE id = \(user.id)
            """)
        return (user, created)
    }

    // MARK: sessions

    public func createSession(user: UUID, idHash: String, csrfToken: String, ip: String?, lifetime: TimeInterval) async throws {
        try await database.query("""
            INSERT INTO sessions (id_hash, user_id, csrf_token, ip, expires_at)
            VALUES (\(idHash), \(user), \(csrfToken), \(ip), now() + make_interval(secs => \(lifetime)))
            """)
    }

    /// The live session's user and CSRF token.
    public func session(idHash: String) async throws -> (user: UserRecord, csrfToken: String)? {
        let rows = try await database.query("""
            SELECT u.id, u.login, u.name, u.admin, u.active, u.created_at, s.csrf_token
            FROM sessions s JOIN users u ON u.id = s.user_id
            WHERE s.id_hash = \(idHash) AND s.expires_at > now() AND u.active
            """)
        for try await (id, login, name, admin, active, created, csrf) in
            rows.decode((UUID, String, String, Bool, Bool, Date, String).self) {
            return (UserRecord(id: id, login: login, name: name, admin: admin, active: active, createdAt: created), csrf)
        }
        return nil
    }

    /// Ends a session; returns its user.
    /// Audited as `user.logged_out`.
    public func deleteSession(idHash: String, request: AuditEvent.Request? = nil) async throws -> UUID? {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                DELETE FROM sessions s USING users u WHERE s.id_hash = \(idHash) AND u.id = s.user_id RETURNING u.id, u.login
                """, database.logger)
            for try await (id, login) in rows.decode((UUID, String).self) {
                let entity = AuditEvent.Entity.user(id, name: login)
                try await AuditEvents.record(AuditEvent(action: "user.logged_out", actor: entity, target: entity,
                                                        request: request), on: connection, logger: database.logger)
                return id
            }
            return nil
        }
    }
}
