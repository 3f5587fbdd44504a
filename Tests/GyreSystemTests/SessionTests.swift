import Foundation
import GyreLocal
import Testing

/// Sign-in for the web UI with a local password: a session cookie (HttpOnly,
/// SameSite), CSRF protection for changes, sign-out, rate limiting, history.
extension EndToEnd {
@Suite struct SessionTests {
    @Test func aLocalUserSignsInUsesTheSessionAndSignsOut() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let session = api.appendingPathComponent("api/gyre/session")
        let made = await system.http.send("POST", api.appendingPathComponent("api/gyre/users"),
                                          body: Data(#"{"login": "sam", "name": "Sam", "password": "correct horse"}"#.utf8))
        #expect(made.0 == 201, "\(String(decoding: made.1, as: UTF8.self))")
        let short = await system.http.send("POST", api.appendingPathComponent("api/gyre/users"),
                                           body: Data(#"{"login": "tim", "password": "short"}"#.utf8))
        #expect(short.0 == 400)
        let slug = try await system.project("session", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        try await system.grant("sam", role: "member")
        let anonymous = HTTPProbe()
        let wrong = await anonymous.send("POST", session, body: Data(#"{"login": "sam", "password": "wrong horse"}"#.utf8))
        #expect(wrong.0 == 401)
        // A form post works as a JSON one does.
        let (code, body, headers) = await anonymous.exchange(
            "POST", session, body: Data("login=sam&password=correct+horse".utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(code == 201, "\(String(decoding: body, as: UTF8.self))")
        let cookie = try #require(headers["set-cookie"])
        #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.hasPrefix("gyre_session="), "\(cookie)")
        let value = String(cookie.split(separator: ";")[0])
        let answer = try JSONDecoder().decode([String: AnyDecodable].self, from: body)
        let csrf = try #require(answer["csrf_token"]?.text)
        let browser = HTTPProbe(defaultHeaders: ["Cookie": value])
        let me = await browser.get(api.appendingPathComponent("api/v2/me"))
        #expect(me.0 == 200 && me.1.contains(#""login":"sam""#), "\(me.1)")
        // A change needs the CSRF token; with it, it works.
        let trigger = api.appendingPathComponent("api/v2/project/\(slug)/pipeline")
        let forged = await browser.send("POST", trigger, body: Data("{}".utf8))
        #expect(forged.0 == 403 && String(decoding: forged.1, as: UTF8.self).contains("CSRF"))
        #expect(await browser.send("POST", trigger, body: Data("{}".utf8), headers: ["X-CSRF-Token": csrf]).0 == 201)
        // The sign-in is in the user's history.
        let (_, stats) = await system.http.get(api.appendingPathComponent("api/gyre/users/statistics"))
        #expect(stats.contains(#""login":"sam""#) && stats.contains(#""current_sign_in_ip":"127.0.0.1""#), "\(stats)")
        // Signed out: the cookie no longer counts.
        let out = await browser.exchange("DELETE", session, body: nil, headers: ["X-CSRF-Token": csrf])
        #expect(out.0 == 200 && (out.2["set-cookie"] ?? "").contains("Max-Age=0"))
        #expect(await browser.get(api.appendingPathComponent("api/v2/me")).0 == 401)
        // Changing the password needs the current one; the new one then signs in.
        let again = try await signIn(api, "sam", "correct horse")
        let sam = HTTPProbe(defaultHeaders: ["Cookie": again.cookie, "X-CSRF-Token": again.csrf])
        let password = api.appendingPathComponent("api/gyre/me/password")
        #expect(await sam.send("PUT", password, body: Data(#"{"current_password": "nope", "new_password": "battery staple"}"#.utf8)).0 == 403)
        #expect(await sam.send("PUT", password, body: Data(#"{"current_password": "correct horse", "new_password": "battery staple"}"#.utf8)).0 == 200)
        _ = try await signIn(api, "sam", "battery staple")
        #expect(await HTTPProbe().send("POST", session, body: Data(#"{"login": "sam", "password": "correct horse"}"#.utf8)).0 == 401)
    }

    func signIn(_ api: URL, _ login: String, _ password: String) async throws -> (cookie: String, csrf: String) {
        let (code, body, headers) = await HTTPProbe().exchange(
            "POST", api.appendingPathComponent("api/gyre/session"),
            body: try JSONSerialization.data(withJSONObject: ["login": login, "password": password]))
        guard code == 201, let cookie = headers["set-cookie"],
              let csrf = try JSONDecoder().decode([String: AnyDecodable].self, from: body)["csrf_token"]?.text else {
            throw LocalSystemError("sign-in of \(login): \(code) \(String(decoding: body, as: UTF8.self))")
        }
        return (String(cookie.split(separator: ";")[0]), csrf)
    }

    @Test func repeatedWrongPasswordsAreSlowedDown() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let session = api.appendingPathComponent("api/gyre/session")
        let made = await system.http.send("POST", api.appendingPathComponent("api/gyre/users"),
                                          body: Data(#"{"login": "rita", "password": "right password"}"#.utf8))
        #expect(made.0 == 201)
        var codes: [Int] = []
        for _ in 0..<6 {
            codes.append(await HTTPProbe().send("POST", session, body: Data(#"{"login": "rita", "password": "nope nope"}"#.utf8)).0)
        }
        #expect(codes == [401, 401, 401, 401, 401, 429], "\(codes)")
        // Even the right password waits now, and the answer says how long.
        let (code, body, headers) = await HTTPProbe().exchange(
            "POST", session, body: Data(#"{"login": "rita", "password": "right password"}"#.utf8))
        #expect(code == 429 && Int(headers["retry-after"] ?? "") ?? 0 > 0, "\(code) \(String(decoding: body, as: UTF8.self))")
        // Unknown users and a deactivated account are refused the same way.
        #expect(await HTTPProbe().send("POST", session, body: Data(#"{"login": "nobody", "password": "whatever1"}"#.utf8)).0 == 401)
    }
}
}

extension EndToEnd {
/// LDAP sign-in against the real slapd of deploy/scripts/start-slapd.sh.
@Suite struct LDAPSignInTests {
    @Test func directoryUsersSignInOthersDoNot() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let session = api.appendingPathComponent("api/gyre/session")
        #expect(!SystemFixture.ldapEnvironment().isEmpty, "run deploy/scripts/start-slapd.sh first (test.sh does)")
        func signIn(_ login: String, _ password: String) async -> (Int, String) {
            let (code, body) = await HTTPProbe().send(
                "POST", session, body: try! JSONSerialization.data(withJSONObject: ["login": login, "password": password]))
            return (code, String(decoding: body, as: UTF8.self))
        }
        // The admin's check of the settings, with a sign-in.
        let (_, check) = await system.http.send("POST", api.appendingPathComponent("api/gyre/ldap/test"),
                                                body: Data(#"{"login": "alice", "password": "alice-secret"}"#.utf8))
        #expect(String(decoding: check, as: UTF8.self).contains(#""ok":"true""#), "\(String(decoding: check, as: UTF8.self))")
        // A good password: the user is created from the directory (not an admin: the installation has one), with groups.
        let (good, goodBody) = await signIn("alice", "alice-secret")
        #expect(good == 201 && goodBody.contains(#""admin":false"#) && goodBody.contains("Alice"), "\(goodBody)")
        let (_, stats) = await system.http.get(URL(string: api.absoluteString + "/api/gyre/users/statistics")!)
        #expect(stats.contains(#""login":"alice""#) && stats.contains(#""source":"ldap""#) && stats.contains("alice@gyre.test"),
                "\(stats)")
        // A bad password, a user outside the search base, an unknown user: the same refusal.
        let (bad, badBody) = await signIn("alice", "not-her-password")
        #expect(bad == 401, "\(badBody)")
        let (outside, outsideBody) = await signIn("carol", "carol-secret")
        #expect(outside == 401 && outsideBody == badBody, "\(outsideBody)")
        #expect(await signIn("mallory", "whatever-pass").0 == 401)
        // Her LDAP groups are mirrored as groups of the installation.
        _ = try await system.project("ldap-groups", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        let (_, groups) = await system.http.get(api.appendingPathComponent("api/gyre/orgs/gh/acme/groups"))
        #expect(groups.contains(#""name":"developers""#) && groups.contains(#""source":"ldap""#) && groups.contains("alice"),
                "\(groups)")
    }
}
}
