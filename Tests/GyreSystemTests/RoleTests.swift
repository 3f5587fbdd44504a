import Foundation
import GyreLocal
import Testing

/// Roles per organisation and per project, project tokens, and the
/// installation admin's user management, through the real permissions service.
extension EndToEnd {
@Suite struct RoleTests {
    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    @Test func eachRoleMayDoWhatTheTableSaysAndNoMore() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let slug = try await system.project("roles", config: "version: 2.1\njobs:\n  build:\n\(hostJob("echo hi"))\n")
        let pipeline = try await system.client.trigger(slug)
        _ = try await system.client.wait(for: pipeline.id)
        var tokens: [String: String] = [:]
        for login in ["olga", "mia", "vic", "pat", "nora"] { tokens[login] = try system.user(login) }
        try await system.grant("olga", role: "admin")
        try await system.grant("mia", role: "member")
        try await system.grant("vic", role: "viewer")
        // pat has a role on this one project only; nora has none.
        let (granted, grantBody) = await system.http.send("PUT", api.appendingPathComponent("api/gyre/projects/\(slug)/members/pat"),
                                                          body: Data(#"{"role": "write"}"#.utf8))
        #expect(granted == 200, "\(Self.text(grantBody))")

        struct Call {
            var method: String
            var path: String
            var body: String?
            /// Logins that may; everyone else gets 403.
            var allowed: Set<String>
        }
        let id = pipeline.id.uuidString.lowercased()
        let calls = [
            Call(method: "GET", path: "api/v2/project/\(slug)", allowed: ["olga", "mia", "vic", "pat"]),
            Call(method: "GET", path: "api/v2/pipeline/\(id)", allowed: ["olga", "mia", "vic", "pat"]),
            Call(method: "GET", path: "api/v2/project/\(slug)/pipeline", allowed: ["olga", "mia", "vic", "pat"]),
            Call(method: "GET", path: "api/v2/project/\(slug)/job/1", allowed: ["olga", "mia", "vic", "pat"]),
            Call(method: "GET", path: "api/v2/project/\(slug)/settings", allowed: ["olga", "mia", "vic", "pat"]),
            Call(method: "POST", path: "api/v2/project/\(slug)/pipeline", body: "{}", allowed: ["olga", "mia", "pat"]),
            Call(method: "PATCH", path: "api/v2/project/\(slug)/settings", body: #"{"advanced": {"autocancel_builds": false}}"#,
                 allowed: ["olga"]),
            Call(method: "PUT", path: "api/v2/project/\(slug)/webhook-secret", body: #"{"secret": "0123456789abcdef"}"#,
                 allowed: ["olga"]),
            Call(method: "GET", path: "api/gyre/orgs/gh/acme/members", allowed: ["olga", "mia", "vic"]),
            Call(method: "PUT", path: "api/gyre/orgs/gh/acme/members/nora", body: #"{"role": "viewer"}"#, allowed: ["olga"]),
            Call(method: "POST", path: "api/gyre/orgs/gh/acme/groups", body: #"{"name": "deployers"}"#, allowed: ["olga"]),
            Call(method: "GET", path: "api/gyre/users", allowed: []),
        ]
        for call in calls {
            for login in ["olga", "mia", "vic", "pat", "nora"] {
                let probe = HTTPProbe.authenticated(tokens[login])
                let (code, body) = await probe.send(call.method, api.appendingPathComponent(call.path), body: call.body.map { Data($0.utf8) })
                let message = (try? JSONDecoder().decode([String: String].self, from: body))?["message"] ?? ""
                if call.allowed.contains(login) {
                    #expect((200..<300).contains(code), "\(login) \(call.method) \(call.path): \(code) \(Self.text(body))")
                } else {
                    #expect(code == 403 && !message.isEmpty, "\(login) \(call.method) \(call.path): \(code) \(Self.text(body))")
                }
            }
            // Undo the one call that changes who may do what (nora became a viewer).
            if call.path.hasSuffix("members/nora") {
                _ = await system.http.send("DELETE", api.appendingPathComponent(call.path), body: nil)
            }
        }
        // The refusal says what is missing.
        let (_, refusal) = await HTTPProbe.authenticated(tokens["vic"]).send(
            "POST", api.appendingPathComponent("api/v2/project/\(slug)/pipeline"), body: Data("{}".utf8))
        #expect(Self.text(refusal).contains("write or admin role"), "\(Self.text(refusal))")

        // A role change counts at once (the cached decision is invalidated on every replica).
        let vic = HTTPProbe.authenticated(tokens["vic"])
        #expect(await vic.send("POST", api.appendingPathComponent("api/v2/project/\(slug)/pipeline"), body: Data("{}".utf8)).0 == 403)
        try await system.grant("vic", role: "member")
        #expect(await vic.send("POST", api.appendingPathComponent("api/v2/project/\(slug)/pipeline"), body: Data("{}".utf8)).0 == 201)
        let removed = await system.http.send("DELETE", api.appendingPathComponent("api/gyre/orgs/gh/acme/members/vic"), body: nil)
        #expect(removed.0 == 200)
        #expect(await vic.send("GET", api.appendingPathComponent("api/v2/project/\(slug)"), body: nil).0 == 403)
        // Members are listed with their roles.
        let (_, members) = await system.http.get(api.appendingPathComponent("api/gyre/orgs/gh/acme/members"))
        #expect(members.contains(#""login":"olga""#) && !members.contains(#""login":"vic""#), "\(members)")
        // The last admin of an organisation cannot be removed... once olga is the only one.
        let admins = try JSONDecoder().decode(MemberPage.self, from: Data(members.utf8)).items.filter { $0.role == "admin" }
        #expect(admins.count >= 1)
    }

    struct MemberPage: Decodable {
        struct Member: Decodable { var login: String; var role: String }
        var items: [Member]
    }

    @Test func projectTokensHaveTheirScopeOnTheirProjectOnly() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let slug = try await system.project("scoped", config: "version: 2.1\njobs:\n  build:\n\(hostJob("echo hi"))\n")
        let other = try await system.project("scoped-other", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        let pipeline = try await system.client.trigger(slug)
        _ = try await system.client.wait(for: pipeline.id)
        func token(_ scope: String) async throws -> HTTPProbe {
            let (code, body) = await system.http.send("POST", api.appendingPathComponent("api/gyre/tokens"),
                                                      body: Data(#"{"name": "ci-\#(scope)", "project_slug": "\#(slug)", "scope": "\#(scope)"}"#.utf8))
            #expect(code == 201, "\(Self.text(body))")
            let secret = try #require(try JSONDecoder().decode([String: String?].self, from: body)["token"] ?? nil)
            return HTTPProbe.authenticated(secret)
        }
        let status = try await token("status"), view = try await token("view-builds"), all = try await token("all")
        let project = api.appendingPathComponent("api/v2/project/\(slug)")
        let job = api.appendingPathComponent("api/v2/project/\(slug)/job/1")
        let trigger = api.appendingPathComponent("api/v2/project/\(slug)/pipeline")
        #expect(await status.get(project).0 == 200)
        #expect(await status.get(job).0 == 403)
        #expect(await view.get(job).0 == 200)
        #expect(await view.send("POST", trigger, body: Data("{}".utf8)).0 == 403)
        #expect(await all.send("POST", trigger, body: Data("{}".utf8)).0 == 201)
        for probe in [status, view, all] {
            #expect(await probe.get(api.appendingPathComponent("api/v2/project/\(other)")).0 == 403)
        }
    }

    @Test func adminsPromoteDeactivateAndDeleteUsersAndReadStatistics() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let gyre = "\(system.system.configuration.binDirectory)/gyre"
        let db = system.system.configuration.postgresURL
        let dana = HTTPProbe.authenticated(try system.user("dana"))
        #expect(await dana.get(api.appendingPathComponent("api/gyre/users")).0 == 403)
        let promoted = await system.http.send("PATCH", api.appendingPathComponent("api/gyre/users/dana"), body: Data(#"{"admin": true}"#.utf8))
        #expect(promoted.0 == 200 && Self.text(promoted.1).contains(#""admin":true"#), "\(Self.text(promoted.1))")
        // At once, also for a token the frontend has cached.
        #expect(await dana.get(api.appendingPathComponent("api/gyre/users")).0 == 200)
        _ = try SystemFixture.shell([gyre, "admin", "demote", "dana", "--postgres-url", db,
                                     "--redis-url", system.system.configuration.redisURL,
                                     "--namespace", system.system.configuration.namespace])
        #expect(await dana.get(api.appendingPathComponent("api/gyre/users")).0 == 403)
        // Deactivated: the token stops at once; reactivated: it works again.
        let off = await system.http.send("PATCH", api.appendingPathComponent("api/gyre/users/dana"), body: Data(#"{"active": false}"#.utf8))
        #expect(off.0 == 200)
        #expect(await dana.get(api.appendingPathComponent("api/v2/me")).0 == 401)
        _ = await system.http.send("PATCH", api.appendingPathComponent("api/gyre/users/dana"), body: Data(#"{"active": true}"#.utf8))
        #expect(await dana.get(api.appendingPathComponent("api/v2/me")).0 == 200)
        // The installation keeps an admin: the last one cannot be demoted or deleted.
        let (_, users) = await system.http.get(api.appendingPathComponent("api/gyre/users"))
        struct Users: Decodable { struct User: Decodable { var login: String; var admin: Bool; var active: Bool }; var items: [User] }
        var admins = try JSONDecoder().decode(Users.self, from: Data(users.utf8)).items.filter { $0.admin && $0.active }
        // Other suites' admins step aside while this checks the last one (and come back at the end).
        let others = admins.map(\.login).filter { $0 != "admin" }
        for login in others {
            #expect(await system.http.send("PATCH", api.appendingPathComponent("api/gyre/users/\(login)"),
                                           body: Data(#"{"active": false}"#.utf8)).0 == 200)
        }
        admins.removeAll { others.contains($0.login) }
        #expect(admins.count == 1)
        let last = try #require(admins.first?.login)
        let demoteLast = await system.http.send("PATCH", api.appendingPathComponent("api/gyre/users/\(last)"), body: Data(#"{"admin": false}"#.utf8))
        #expect(demoteLast.0 == 409 && Self.text(demoteLast.1).contains("last active admin"), "\(Self.text(demoteLast.1))")
        #expect(await system.http.send("DELETE", api.appendingPathComponent("api/gyre/users/\(last)"), body: nil).0 == 409)
        for login in others {
            #expect(await system.http.send("PATCH", api.appendingPathComponent("api/gyre/users/\(login)"),
                                           body: Data(#"{"active": true}"#.utf8)).0 == 200)
        }
        // Statistics: all time lists everyone with the seed's fields; the CLI prints the same.
        let (code, stats) = await system.http.get(URL(string: api.absoluteString + "/api/gyre/users/statistics?period=all")!)
        #expect(code == 200 && stats.contains(#""login":"dana""#) && stats.contains("sign_in_count")
                && stats.contains("last_sign_in_ip"), "\(stats)")
        #expect(await system.http.get(URL(string: api.absoluteString + "/api/gyre/users/statistics?period=year")!).0 == 400)
        let printed = try SystemFixture.shell([gyre, "admin", "stats", "--postgres-url", db])
        #expect(printed.contains("dana") && printed.contains("SIGN-INS"), "\(printed)")
        // Deleted: gone, with the token.
        #expect(await system.http.send("DELETE", api.appendingPathComponent("api/gyre/users/dana"), body: nil).0 == 200)
        #expect(await dana.get(api.appendingPathComponent("api/v2/me")).0 == 401)
        #expect(await system.http.send("DELETE", api.appendingPathComponent("api/gyre/users/dana"), body: nil).0 == 404)
    }
}
}
