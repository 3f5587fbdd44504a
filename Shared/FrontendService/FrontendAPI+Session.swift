import Crypto
import Foundation
import GyreModel
import GyrePasswords
import GyreServiceKit
import GyreStore
import Hummingbird

/// A user found by a directory (LDAP) sign-in.
struct DirectoryUser: Sendable {
    var login: String
    var name: String
    var emails: [String]
    var dn: String
    var groups: [String]
}

/// Why a directory sign-in failed: wrong credentials (401) or the directory itself (503).
enum DirectoryFailure: Error {
    case rejected
    case unavailable(String)
}

/// Sign-in through a directory (LDAP); the frontend holds one when GYRE_LDAP_URL is set.
protocol DirectorySignIn: Sendable {
    func authenticate(login: String, password: String) async throws(DirectoryFailure) -> DirectoryUser
    func testConnection() async throws -> String
}

/// Sign-in for the web UI: local accounts (scrypt passwords) and LDAP.
/// A session is a random id in an HttpOnly, SameSite=Lax cookie (only its
/// SHA-256 is stored); calls that change something with a session cookie
/// must carry the session's CSRF token in `X-CSRF-Token`.
extension FrontendAPI {
    static let sessionCookie = "gyre_session"
    static let sessionLifetime: TimeInterval = 12 * 3600

    func registerSessions(on router: Router<Context>) {
        router.post("api/gyre/session") { request, context in try await signIn(request, context) }
        router.get("api/gyre/session") { _, context in try await currentSession(context) }
        router.delete("api/gyre/session") { request, context in try await signOut(request, context) }
        router.put("api/gyre/me/password") { request, context in try await changePassword(request, context) }
        router.post("api/gyre/ldap/test") { request, context in try await testDirectory(request, context) }
    }

    struct SignInBody: Decodable {
        var login: String
        var password: String
    }

    struct SessionOut: Encodable {
        var id: String
        var login: String
        var name: String
        var admin: Bool
        var csrf_token: String?
    }

    /// `POST /api/gyre/session` with `{"login", "password"}` (JSON or a form post).
    func signIn(_ request: Request, _ context: Context) async throws -> Response {
        let body = try await signInBody(request)
        let user: UserRecord, secret: String, csrf: String
        do {
            (user, secret, csrf) = try await openSession(body, request: request, context: context)
        } catch let throttled as SignInThrottled {
            var response = JSONResponse.make(["message": throttled.message], status: .tooManyRequests)
            response.headers[.retryAfter] = String(throttled.seconds)
            return response
        }
        var response = JSONResponse.make(SessionOut(id: user.id.uuidString.lowercased(), login: user.login, name: user.name,
                                                    admin: user.admin, csrf_token: csrf), status: .created)
        response.headers[.setCookie] = cookie(secret, maxAge: Int(Self.sessionLifetime))
        return response
    }

    /// Checks the credentials (rate-limited, recorded in the sign-in history) and opens a session: its secret (for
    /// the cookie) and CSRF token. Throws `SignInThrottled` or a 401.
    func openSession(_ body: SignInBody, request: Request, context: Context) async throws -> (UserRecord, String, String) {
        let ip = context.remoteIP
        if let wait = await signInLimiter.check(login: body.login, ip: ip) {
            throw SignInThrottled(seconds: wait)
        }
        let audit = AuditRequest.info(request, context: context)
        let (user, method) = try await verify(body, ip: ip, request: audit)
        await signInLimiter.succeeded(login: body.login)
        try await guarded { try await identity.recordSignIn(user: user.id, login: user.login, method: method, ip: ip,
                                                                     request: audit) }
        let secret = IdentityStore.newSecret() + IdentityStore.newSecret()
        let csrf = IdentityStore.newSecret()
        try await guarded {
            try await identity.createSession(user: user.id, idHash: IdentityStore.hash(secret), csrfToken: csrf, ip: ip,
                                             lifetime: Self.sessionLifetime)
        }
        return (user, secret, csrf)
    }

    func signInBody(_ request: Request) async throws -> SignInBody {
        let buffer = try await rawBody(request)
        let text = String(decoding: buffer.readableBytesView, as: UTF8.self)
        if request.headers[.contentType]?.hasPrefix("application/x-www-form-urlencoded") == true {
            var fields: [String: String] = [:]
            for pair in text.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                if parts.count == 2 { fields[parts[0]] = parts[1] }
            }
            guard let login = fields["login"], let password = fields["password"] else {
                throw APIError.badRequest("give login and password")
            }
            return SignInBody(login: login, password: password)
        }
        guard let body = try? JSONDecoder().decode(SignInBody.self, from: Data(text.utf8)) else {
            throw APIError.badRequest("give {\"login\": ..., \"password\": ...}")
        }
        return body
    }

    /// Local users with a password are checked here; anyone else through the directory when one is configured.
    func verify(_ body: SignInBody, ip: String?, request: AuditEvent.Request) async throws -> (UserRecord, String) {
        let rejected = APIError(.unauthorized, "wrong login or password")
        guard IdentityStore.isLogin(body.login), !body.password.isEmpty else { throw rejected }
        let known = try await guarded { try await identity.credentials(login: body.login) }
        if let known, known.source == "local", let hash = known.passwordHash {
            guard known.user.active else { throw APIError(.unauthorized, "the account \(body.login) is deactivated") }
            guard Passwords.verify(body.password, against: hash) else {
                await failure(login: body.login, method: "password", ip: ip, request: request)
                throw rejected
            }
            return (known.user, "password")
        }
        guard let directory else {
            await failure(login: body.login, method: "password", ip: ip, request: request)
            throw rejected
        }
        let found: DirectoryUser
        do {
            found = try await directory.authenticate(login: body.login, password: body.password)
        } catch .rejected {
            await failure(login: body.login, method: "ldap", ip: ip, request: request)
            throw rejected
        } catch .unavailable(let reason) {
            throw APIError(.serviceUnavailable, "the LDAP directory cannot be used right now: \(reason)")
        }
        if let known, !known.user.active { throw APIError(.unauthorized, "the account \(body.login) is deactivated") }
        let (user, created) = try await guarded {
            try await identity.upsertLDAPUser(login: found.login, name: found.name, emails: found.emails, dn: found.dn,
                                              request: request)
        }
        try await guarded { try await RoleStore(database: store.database).syncLDAPGroups(user: user.id, names: found.groups) }
        if created { await authorizer.cache.invalidate() }
        return (user, "ldap")
    }

    func failure(login: String, method: String, ip: String?, request: AuditEvent.Request) async {
        await signInLimiter.failed(login: login)
        _ = try? await identity.recordFailedSignIn(login: login, method: method, ip: ip, request: request)
    }

    func cookie(_ value: String, maxAge: Int) -> String {
        let secure = externalURL.hasPrefix("https:") ? "; Secure" : ""
        return "\(Self.sessionCookie)=\(value); Path=/; HttpOnly; SameSite=Lax; Max-Age=\(maxAge)\(secure)"
    }

    func currentSession(_ context: Context) async throws -> Response {
        let (id, caller) = try currentUser(context)
        guard let user = try await guarded({ try await identity.user(id: id) }) else { throw APIError.notFound("user \(id)") }
        return JSONResponse.make(SessionOut(id: id.uuidString.lowercased(), login: user.login, name: user.name,
                                            admin: caller.admin, csrf_token: caller.csrfToken))
    }

    func signOut(_ request: Request, _ context: Context) async throws -> Response {
        guard let secret = AuthMiddleware.sessionSecret(request) else {
            throw APIError.badRequest("there is no session to end (no \(Self.sessionCookie) cookie)")
        }
        _ = try await guarded { try await identity.deleteSession(idHash: IdentityStore.hash(secret),
                                                                        request: AuditRequest.info(request, context: context)) }
        var response = JSONResponse.make(["message": "signed out"])
        response.headers[.setCookie] = cookie("", maxAge: 0)
        return response
    }

    struct PasswordBody: Decodable {
        var current_password: String?
        var new_password: String
    }

    /// `PUT /api/gyre/me/password`: local accounts set or change their password (the current one is needed once set).
    func changePassword(_ request: Request, _ context: Context) async throws -> Response {
        let (id, caller) = try currentUser(context)
        guard let body = try await body(PasswordBody.self, request, allowEmpty: false) else {
            throw APIError.badRequest("give {\"new_password\": ...}")
        }
        if let problem = Passwords.problem(body.new_password) { throw APIError.badRequest(problem) }
        guard let known = try await guarded({ try await identity.credentials(login: caller.login) }) else {
            throw APIError.notFound("user \(caller.login)")
        }
        guard known.source == "local" else {
            throw APIError(.conflict, "\(caller.login) signs in through LDAP; change the password in the directory")
        }
        if let hash = known.passwordHash {
            guard let current = body.current_password, Passwords.verify(current, against: hash) else {
                throw APIError(.forbidden, "current_password is wrong")
            }
        }
        let hash = try Passwords.hash(body.new_password)
        try await guarded { try await identity.setPassword(user: id, hash: hash) }
        return JSONResponse.make(["message": "password changed"])
    }

    struct DirectoryTestBody: Decodable {
        var login: String?
        var password: String?
    }

    /// `POST /api/gyre/ldap/test` (installation admins): checks the LDAP settings, and a sign-in when a login is given.
    func testDirectory(_ request: Request, _ context: Context) async throws -> Response {
        try requireAdmin(context, because: "testing the LDAP settings")
        guard let directory else {
            throw APIError(.conflict, "LDAP is not configured: set GYRE_LDAP_URL and the other GYRE_LDAP_* settings")
        }
        let body = try await body(DirectoryTestBody.self, request, allowEmpty: true)
        let connection: String
        do { connection = try await directory.testConnection() } catch {
            return JSONResponse.make(["ok": "false", "message": "\(error)"])
        }
        guard let login = body?.login, let password = body?.password else {
            return JSONResponse.make(["ok": "true", "message": connection])
        }
        do {
            let user = try await directory.authenticate(login: login, password: password)
            return JSONResponse.make(["ok": "true", "message": "\(connection); \(login) signs in as \(user.dn)"
                                        + " (groups: \(user.groups.joined(separator: ", ")))"])
        } catch .rejected {
            return JSONResponse.make(["ok": "false", "message": "\(connection); \(login) was rejected (wrong password, or not under the search base)"])
        } catch .unavailable(let reason) {
            return JSONResponse.make(["ok": "false", "message": reason])
        }
    }
}

/// Too many sign-in attempts: wait this long.
struct SignInThrottled: Error {
    var seconds: Int
    var message: String { "too many sign-in attempts; try again in \(seconds) seconds" }
}
