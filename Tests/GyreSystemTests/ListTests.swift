import Foundation
import GyreLocal
import Testing

/// API v2 lists: a project's pipelines (paged, per branch), the caller's, an
/// organisation's; the caller's organisations; a user by id.
extension EndToEnd {
@Suite struct ListTests {
    struct Item: Decodable {
        var id: UUID
        var number: Int
        var trigger: Trigger
        struct Trigger: Decodable {
            var actor: Actor
            struct Actor: Decodable { var login: String }
        }
    }

    struct Page: Decodable {
        var items: [Item]
        var next_page_token: String?
    }

    @Test func pipelinesArePagedNewestFirstAndMineAreTheCallers() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let gyre = "\(system.system.configuration.binDirectory)/gyre"
        let db = system.system.configuration.postgresURL
        _ = try SystemFixture.shell([gyre, "admin", "create-user", "carol", "--postgres-url", db])
        let carolToken = try SystemFixture.shell([gyre, "admin", "create-token", "carol", "--postgres-url", db])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let carol = APIClient(base: api, token: carolToken)
        let slug = try await system.project("lists", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        try await system.grant("carol", role: "member")
        for _ in 0..<22 { _ = try await system.client.trigger(slug) }
        let hers = try await carol.trigger(slug, branch: "topic")

        func page(_ probe: HTTPProbe, _ path: String) async throws -> Page {
            let (code, data) = await probe.send("GET", URL(string: api.absoluteString + path)!, body: nil)
            #expect(code == 200, "\(path): \(String(decoding: data, as: UTF8.self))")
            let decoder = JSONDecoder()
            return try decoder.decode(Page.self, from: data)
        }
        let first = try await page(system.http, "/api/v2/project/\(slug)/pipeline")
        #expect(first.items.count == 20)
        #expect(first.items.map(\.number) == first.items.map(\.number).sorted(by: >))
        #expect(first.items.first?.number == hers.number)
        let token = try #require(first.next_page_token)
        let second = try await page(system.http, "/api/v2/project/\(slug)/pipeline?page-token=\(token)")
        #expect(second.items.count == 3 && second.next_page_token == nil)
        #expect(Set(first.items.map(\.id)).isDisjoint(with: second.items.map(\.id)))

        let topic = try await page(system.http, "/api/v2/project/\(slug)/pipeline?branch=topic")
        #expect(topic.items.map(\.id) == [hers.id])
        let mine = try await page(carol.http, "/api/v2/project/\(slug)/pipeline/mine")
        #expect(mine.items.map(\.id) == [hers.id] && mine.items.first?.trigger.actor.login == "carol")
        let org = try await page(carol.http, "/api/v2/pipeline?org-slug=gh/acme&mine=true")
        #expect(org.items.map(\.id) == [hers.id])
        let orgAll = try await page(system.http, "/api/v2/pipeline?org-slug=gh/acme")
        #expect(orgAll.items.count == 20 && orgAll.next_page_token != nil)

        let (code, collaborations) = await carol.http.get(api.appendingPathComponent("api/v2/me/collaborations"))
        #expect(code == 200 && collaborations.contains("\"slug\":\"gh/acme\"") && collaborations.contains("\"vcs-type\":\"github\""),
                "\(collaborations)")
        let me = try JSONDecoder().decode([String: String?].self,
                                          from: Data(await carol.http.get(api.appendingPathComponent("api/v2/me")).1.utf8))
        let carolId = try #require(me["id"] ?? nil)
        let (userCode, user) = await system.http.get(api.appendingPathComponent("api/v2/user/\(carolId)"))
        #expect(userCode == 200 && user.contains("\"login\":\"carol\""), "\(user)")
        #expect(await system.http.get(api.appendingPathComponent("api/v2/user/\(UUID())")).0 == 404)
    }

    @Test func v11AccountCallsAndThePipelineConfigShowWhatTheCallerMayRead() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let config = "version: 2.1\njobs:\n  build:\n\(hostJob("echo configured"))\n"
        let slug = try await system.project("account", config: config)
        let pipeline = try await system.client.trigger(slug)
        _ = try await system.client.wait(for: pipeline.id)
        let outsider = HTTPProbe.authenticated(try system.user("ola"))
        let (meCode, me) = await outsider.get(api.appendingPathComponent("api/v1.1/me"))
        #expect(meCode == 200 && me.contains(#""login":"ola""#) && me.contains(#""admin":false"#), "\(me)")
        // The admin sees the project and its builds; a user without a role sees neither.
        let (_, projects) = await system.http.get(api.appendingPathComponent("api/v1.1/projects"))
        #expect(projects.contains(#""reponame":"account""#) && projects.contains(#""username":"acme""#), "\(projects)")
        #expect(await outsider.get(api.appendingPathComponent("api/v1.1/projects")).1 == "[]")
        let (_, recent) = await system.http.get(api.appendingPathComponent("api/v1.1/recent-builds"))
        #expect(recent.contains(#""reponame":"account""#) || recent.contains("account"), "\(recent.prefix(300))")
        #expect(await outsider.get(api.appendingPathComponent("api/v1.1/recent-builds")).1 == "[]")
        // The pipeline's configuration: what was fetched, and its processed form.
        let path = api.appendingPathComponent("api/v2/pipeline/\(pipeline.id.uuidString.lowercased())/config")
        let (code, body) = await system.http.get(path)
        #expect(code == 200)
        let texts = try JSONDecoder().decode([String: String].self, from: Data(body.utf8))
        #expect(texts["source"] == config, "\(body)")
        #expect(texts["compiled"]?.contains("echo configured") == true, "\(body)")
        #expect(texts["setup-config"] == nil)
        #expect(await outsider.get(path).0 == 403)
    }
}
}
