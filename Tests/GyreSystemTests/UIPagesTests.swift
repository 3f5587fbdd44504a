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

    @Test func jobPageShowsFailedTestsFirstArtifactsAndSearchesWholeLogs() async throws {
        let system = try fixture
        let script = #"""
            mkdir -p results out
            echo 'log head: NEEDLE-AT-THE-START'
            i=0; while [ $i -lt 30000 ]; do echo "filler line $i of a long log"; i=$((i+1)); done
            echo 'the end: NEEDLE-AT-THE-END'
            printf '%s' '<testsuite><testcase classname="calc" name="adds" time="0.1"/><testcase classname="calc" name="divides" time="0.2"><failure message="divided by zero">expected 2, got NaN</failure></testcase></testsuite>' > results/unit.xml
            echo report > out/report.txt
            """#
        let slug = try await system.project("ui-job-page", config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: |
            \(script.split(separator: "\n").map { "              " + $0 }.joined(separator: "\n"))
                  - store_test_results: {path: results}
                  - store_artifacts: {path: out}
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(outcome.status == "success", "\(system.logs())")
        let number = try #require(outcome.workflows.first?.jobs.first?.job_number)
        let probe = system.http
        let base = system.system.apiURL

        // The page: the failed test before the passing one, with its message; the artifact as a link; the log's tail.
        let (code, page) = await probe.get(base.appendingPathComponent("pipelines/\(slug)/jobs/\(number)"))
        #expect(code == 200)
        let failed = try #require(page.range(of: "divides"))
        let passed = try #require(page.range(of: "adds"))
        #expect(failed.lowerBound < passed.lowerBound, "failed tests come first")
        #expect(page.contains("divided by zero"))
        #expect(page.contains("2 run, 1 failed"))
        #expect(page.contains("/artifacts/0/out/report.txt\""), "artifact link")
        #expect(page.contains("NEEDLE-AT-THE-END"))
        #expect(!page.contains("NEEDLE-AT-THE-START"), "a long log opens on its tail")
        #expect(page.contains("earlier bytes not shown"))

        // Search of the whole log, and a byte range of it.
        let output = "api/v2/project/\(slug)/job/\(number)/steps/1/output"
        var search = URLComponents(url: base.appendingPathComponent(output), resolvingAgainstBaseURL: false)!
        search.queryItems = [URLQueryItem(name: "search", value: "needle-at-the")]
        let (searched, found) = await probe.get(search.url!)
        #expect(searched == 200)
        struct Found: Decodable { struct Item: Decodable { var offset: Int; var line: Int; var text: String }; var items: [Item]; var truncated: Bool }
        let hits = try JSONDecoder().decode(Found.self, from: Data(found.utf8))
        #expect(hits.items.map(\.line) == [1, 30002], "\(found)")
        #expect(hits.items.first?.offset == 0)
        #expect(hits.items.last?.text == "the end: NEEDLE-AT-THE-END")
        let last = try #require(hits.items.last)
        var range = URLComponents(url: base.appendingPathComponent(output), resolvingAgainstBaseURL: false)!
        range.queryItems = [URLQueryItem(name: "offset", value: String(last.offset)), URLQueryItem(name: "limit", value: "9")]
        let (_, piece) = await probe.get(range.url!)
        #expect(piece == "the end: ")
        for bad in ["limit=0", "limit=x", "search="] {
            let (status, body) = await probe.get(URL(string: base.appendingPathComponent(output).absoluteString + "?" + bad)!)
            #expect(status == 400, "\(bad): \(body)")
            #expect(body.contains("\"message\""))
        }

        // The project's pipelines by branch, and the organisation's pipelines across its projects.
        let (_, onMain) = await probe.get(URL(string: base.appendingPathComponent("pipelines/\(slug)").absoluteString + "?branch=main")!)
        #expect(onMain.contains("data-number=\"1\""), "the pipeline on main is listed")
        let (_, elsewhere) = await probe.get(URL(string: base.appendingPathComponent("pipelines/\(slug)").absoluteString + "?branch=nowhere")!)
        #expect(!elsewhere.contains("class=\"pipeline\""))
        #expect(elsewhere.contains("No pipelines on branch nowhere yet."))
        let (orgCode, orgPage) = await probe.get(base.appendingPathComponent("pipelines/gh/acme"))
        #expect(orgCode == 200)
        #expect(orgPage.contains("<th scope=\"col\">Project</th>"))
        #expect(orgPage.contains("href=\"/pipelines/\(slug)/1\""), "the organisation's page lists this project's pipeline")
        let outsider = try system.user("ui-outsider")
        #expect(await HTTPProbe.authenticated(outsider).get(base.appendingPathComponent("pipelines/gh/acme")).0 == 403,
                "someone outside the organisation may not list its pipelines")

        // The live socket's path over plain HTTP: who may follow the job, and why no upgrade happened.
        let socket = base.appendingPathComponent("ws/jobs/\(slug)/\(number)")
        #expect(await HTTPProbe().get(socket).0 == 401)
        let (plain, why) = await probe.get(socket)
        #expect(plain == 400 && why.contains("WebSocket"), "\(why)")
        #expect(await probe.get(base.appendingPathComponent("ws/jobs/\(slug)/999999")).0 == 404)
        let (foreign, refusal) = await probe.send("GET", socket, body: nil, headers: ["Origin": "http://evil.example"])
        #expect(foreign == 403, "\(String(decoding: refusal, as: UTF8.self))")
        for path in ["ws/pages/\(slug)", "ws/pages/\(slug)/1"] {
            #expect(await HTTPProbe().get(base.appendingPathComponent(path)).0 == 401)
            let (code, why) = await probe.get(base.appendingPathComponent(path))
            #expect(code == 400 && why.contains("WebSocket"), "\(path): \(why)")
        }
        #expect(await HTTPProbe.authenticated(outsider).get(base.appendingPathComponent("ws/pages/\(slug)")).0 == 403)
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
                && rows.allSatisfy { $0.contains("class=\"workflow-link\"") && $0.contains("success") },
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
