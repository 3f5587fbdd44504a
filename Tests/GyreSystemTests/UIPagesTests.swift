import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GyreLocal
import Testing

/// The web UI's pages over HTTP with a session cookie: what they list, who may see them, and that a visitor
/// without a session is sent to the sign-in page. (BrowserTests drive the pages in Chromium.)
extension EndToEnd {
@Suite struct UIPagesTests {
    /// Signs in through the form and returns the session cookie.
    static func session(_ system: SystemFixture, login: String, password: String) async throws -> String {
        var request = URLRequest(url: system.system.apiURL.appendingPathComponent("login"))
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.httpBody = Data("login=\(login)&password=\(password)".utf8)
        let session = URLSession(configuration: .ephemeral, delegate: NoRedirect(), delegateQueue: nil)
        let (_, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 303)
        let cookie = try #require(http.value(forHTTPHeaderField: "Set-Cookie"))
        return String(cookie.split(separator: ";")[0])
    }

    final class NoRedirect: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                        newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
            completionHandler(nil)
        }
    }

    static func page(_ system: SystemFixture, _ path: String, cookie: String) async -> (Int, String) {
        let parts = path.split(separator: "?", maxSplits: 1).map(String.init)
        var components = URLComponents(url: system.system.apiURL.appendingPathComponent(parts[0]), resolvingAgainstBaseURL: false)!
        if parts.count > 1 { components.percentEncodedQuery = parts[1] }
        let (code, body) = await HTTPProbe().send("GET", components.url!, body: nil, headers: ["Cookie": cookie])
        return (code, String(decoding: body, as: UTF8.self))
    }

    @Test func settingsOrganisationAndAdminPagesListWhatTheAPIHoldsAndRespectRoles() async throws {
        let system = try fixture
        let slug = try await system.project("ui-settings", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        _ = try await system.client.send("POST", "api/v2/project/\(slug)/envvar", body: ["name": "UI_SECRET", "value": "ui-secret-value-1234"])
        try await system.context("ui-context")
        // An installation admin with a password, and a plain member.
        let admin = try system.user("ui-admin")
        _ = await system.http.send("PATCH", system.system.apiURL.appendingPathComponent("api/gyre/users/ui-admin"),
                                   body: Data(#"{"admin": true}"#.utf8))
        let member = try system.user("ui-member")
        try await system.grant("ui-member", role: "member")
        for (token, password) in [(admin, "ui-admin-pass-1"), (member, "ui-member-pass-1")] {
            let (code, _) = await HTTPProbe.authenticated(token).send(
                "PUT", system.system.apiURL.appendingPathComponent("api/gyre/me/password"),
                body: Data(#"{"new_password": "\#(password)"}"#.utf8))
            #expect(code == 200)
        }
        let adminCookie = try await Self.session(system, login: "ui-admin", password: "ui-admin-pass-1")
        let memberCookie = try await Self.session(system, login: "ui-member", password: "ui-member-pass-1")

        let (settingsCode, settings) = await Self.page(system, "settings/project/\(slug)", cookie: adminCookie)
        #expect(settingsCode == 200 && settings.contains("UI_SECRET") && settings.contains("xxxx1234")
                && !settings.contains("ui-secret-value") && settings.contains("/webhooks/github"), "\(settings.prefix(400))")
        let (orgCode, org) = await Self.page(system, "settings/organization/gh/acme", cookie: adminCookie)
        #expect(orgCode == 200 && org.contains("data-name=\"ui-context\"") && org.contains("id=\"create-context\""))
        let (adminCode, adminPage) = await Self.page(system, "admin?action=project.env_var.create", cookie: adminCookie)
        #expect(adminCode == 200 && adminPage.contains("data-login=\"ui-member\"") && adminPage.contains("id=\"audit-csv\"")
                && adminPage.contains("<td>project.env_var.create</td>") && adminPage.contains("class=\"agent\""),
                "\(adminPage.prefix(400))")

        // The status badge is public: no builds, then passing.
        func badge() async -> (Int, String) {
            let (code, body) = await HTTPProbe().send("GET", system.system.apiURL.appendingPathComponent("badges/\(slug).svg"), body: nil)
            return (code, String(decoding: body, as: UTF8.self))
        }
        let (before, empty) = await badge()
        #expect(before == 200 && empty.hasPrefix("<svg") && empty.contains("no builds"))
        #expect(try await system.client.wait(for: try await system.client.trigger(slug).id).status == "success")
        #expect(await badge().1.contains("passing"))
        // The pipelines page lists it with its workflow (the page's workflows come from one query).
        _ = try await system.client.wait(for: try await system.client.trigger(slug).id)
        let (listCode, list) = await Self.page(system, "pipelines/\(slug)", cookie: adminCookie)
        let rows = list.components(separatedBy: "<tr class=\"pipeline\"").dropFirst()
        #expect(listCode == 200 && rows.count == 2
                && rows.allSatisfy { $0.contains("class=\"workflow\"") && $0.contains("success") },
                "\(list.suffix(1500))")
        #expect(settings.contains("id=\"badge-markdown\""))

        // A member sees the organisation's contexts (no changes offered), not the project settings or the admin pages.
        let (memberOrgCode, memberOrg) = await Self.page(system, "settings/organization/gh/acme", cookie: memberCookie)
        #expect(memberOrgCode == 200 && memberOrg.contains("ui-context") && !memberOrg.contains("id=\"create-context\""))
        let (forbidden, refusal) = await Self.page(system, "settings/project/\(slug)", cookie: memberCookie)
        #expect(forbidden == 403 && refusal.contains("role=\"alert\""), "\(forbidden)")
        #expect(await Self.page(system, "admin", cookie: memberCookie).0 == 403)

        // Without a session: the sign-in page, with the way back.
        let (code, signIn) = await HTTPProbe().send("GET", system.system.apiURL.appendingPathComponent("settings/project/\(slug)"),
                                                    body: nil)
        #expect(code == 200 && String(decoding: signIn, as: UTF8.self).contains("id=\"sign-in-form\""))
        // Signing out ends the session.
        _ = await Self.page(system, "logout", cookie: adminCookie)
        let (after, _) = await HTTPProbe().send("GET", system.system.apiURL.appendingPathComponent("api/v2/me"), body: nil,
                                                headers: ["Cookie": adminCookie])
        #expect(after == 401)
    }
}
}
