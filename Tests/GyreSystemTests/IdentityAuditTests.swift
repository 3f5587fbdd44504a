import Foundation
import GyreLocal
import GyreModel
import Testing

/// Who signs in and out, who creates users and tokens, who changes admins and roles: each is an audit event
/// with the seed's fields, and shows in the admin's CSV.
extension EndToEnd {
@Suite struct IdentityAuditTests {
    @Test func userTokenSignInAndRoleActionsAreAudited() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let trace = "trace-\(UUID().uuidString.prefix(8))"
        let traced = HTTPProbe(defaultHeaders: ["Circle-Token": system.adminToken ?? "", "X-Client-Trace-Id": trace])
        // user.create through the API (and through gyre admin, by the system actor).
        let made = await traced.send("POST", api.appendingPathComponent("api/gyre/users"),
                                     body: Data(#"{"login": "una", "password": "una-password"}"#.utf8))
        #expect(made.0 == 201)
        _ = try system.user("vera")
        // user.logged_in (one refused, one good), user.logged_out.
        let session = api.appendingPathComponent("api/gyre/session")
        #expect(await HTTPProbe().send("POST", session, body: Data(#"{"login": "una", "password": "wrong-password"}"#.utf8)).0 == 401)
        let (code, body, headers) = await HTTPProbe().exchange("POST", session, body: Data(#"{"login": "una", "password": "una-password"}"#.utf8))
        #expect(code == 201)
        let cookie = String((headers["set-cookie"] ?? "").split(separator: ";")[0])
        let csrf = try #require(try JSONDecoder().decode([String: AnyDecodable].self, from: body)["csrf_token"]?.text)
        #expect(await HTTPProbe(defaultHeaders: ["Cookie": cookie, "X-CSRF-Token": csrf]).send("DELETE", session, body: nil).0 == 200)
        // Tokens, admin rights, roles.
        let (tokenCode, tokenBody) = await traced.send("POST", api.appendingPathComponent("api/gyre/tokens"), body: Data(#"{"name": "audited"}"#.utf8))
        #expect(tokenCode == 201)
        let tokenId = try #require(try JSONDecoder().decode([String: String?].self, from: tokenBody)["id"] ?? nil)
        #expect(await traced.send("DELETE", api.appendingPathComponent("api/gyre/tokens/\(tokenId)"), body: nil).0 == 200)
        #expect(await traced.send("PATCH", api.appendingPathComponent("api/gyre/users/una"), body: Data(#"{"admin": true}"#.utf8)).0 == 200)
        #expect(await traced.send("PATCH", api.appendingPathComponent("api/gyre/users/una"), body: Data(#"{"active": false}"#.utf8)).0 == 200)
        _ = try await system.project("audit-roles", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        #expect(await traced.send("PUT", api.appendingPathComponent("api/gyre/orgs/gh/acme/members/vera"),
                                  body: Data(#"{"role": "viewer"}"#.utf8)).0 == 200)

        let wanted = ["user.create", "user.logged_in", "user.logged_out", "user.token.create", "user.token.revoke",
                      "user.admin.grant", "user.suspended", "organization.member.update"]
        let events = try await AuditLogTests.waitForEvents(system, "from=2000-01-01T00:00:00Z") { events in
            Set(wanted).isSubset(of: Set(events.map(\.action)))
                && events.filter { $0.action == "user.logged_in" && $0.target.name == "una" }.count >= 2
        }
        func one(_ action: String, _ where: (AuditEvent) -> Bool = { _ in true }) -> AuditEvent? {
            events.first { $0.action == action && `where`($0) }
        }
        let created = try #require(one("user.create") { $0.payload["login"] == .string("una") })
        #expect(created.actor.type == "user" && created.actor.name == "admin" && created.target.name == "una")
        #expect(created.request?.clientTraceId == trace && created.request?.ipAddress == "127.0.0.1" && created.request?.id.isEmpty == false)
        #expect(created.version == 1 && created.success)
        let byCLI = try #require(one("user.create") { $0.payload["login"] == .string("vera") })
        #expect(byCLI.actor.type == "system" && byCLI.actor.name == "gyre admin" && byCLI.request == nil)
        // Other suites sign in and out too (the browser test): this one's events are una's.
        let refused = try #require(one("user.logged_in") { !$0.success && $0.target.name == "una" })
        let accepted = try #require(one("user.logged_in") { $0.success && $0.actor.name == "una" })
        #expect(refused.actor.name == "una" && accepted.payload["method"] == .string("password"))
        #expect(one("user.logged_out") { $0.actor.name == "una" } != nil)
        let token = try #require(one("user.token.create") { $0.payload["name"] == .string("audited") })
        #expect(token.payload["name"] == .string("audited") && token.payload["token_id"] == .string(tokenId))
        #expect(one("user.token.revoke") { $0.payload["token_id"] == .string(tokenId) } != nil)
        #expect(one("user.admin.grant") { $0.target.name == "una" } != nil)
        #expect(one("user.suspended") { $0.target.name == "una" }?.payload["active"] == .bool(false))
        let role = try #require(one("organization.member.update") { $0.payload["role"] == .string("viewer") })
        #expect(role.payload["role"] == .string("viewer") && role.scope?.type == "organization" && role.scope?.name == "acme")
        // No secret anywhere: neither the password nor the token.
        let (_, csv) = await system.http.get(AuditLogTests.url(system, "from=2000-01-01T00:00:00Z", csv: true))
        #expect(csv.contains("user.logged_out") && csv.contains("organization.member.update"))
        #expect(!csv.contains("una-password") && !csv.contains("wrong-password"))
        // Leave the installation as other suites expect it: one admin, vera without a role.
        _ = await traced.send("DELETE", api.appendingPathComponent("api/gyre/orgs/gh/acme/members/vera"), body: nil)
        _ = await traced.send("DELETE", api.appendingPathComponent("api/gyre/users/una"), body: nil)
    }
}
}
