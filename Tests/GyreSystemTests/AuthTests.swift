import Foundation
import GyreLocal
import Testing

/// Every route needs a caller; tokens are accepted as CircleCI clients send
/// them; admins are the only ones who change what only admins may change.
extension EndToEnd {
@Suite struct AuthTests {
    struct Route: Decodable {
        var method: String
        var path: String
    }

    /// A concrete path for a route template (ids, numbers and names stand in for parameters).
    static func concrete(_ template: String) -> String {
        "/" + template.split(separator: "/").map { part -> String in
            if part == "**" { return "file.txt" }
            guard part.hasPrefix(":") || part.hasPrefix("{") else { return String(part) }
            let name = part.trimmingCharacters(in: CharacterSet(charactersIn: ":{}"))
            switch name {
            case "vcs": return "gh"
            case "number", "build_num", "index", "node": return "1"
            case "id", "approval", "job", "workflow": return UUID().uuidString.lowercased()
            default: return "x"
            }
        }.joined(separator: "/")
    }

    @Test func everyRouteRefusesAMissingAndAWrongCredential() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let (code, data) = await system.http.send("GET", api.appendingPathComponent("api/gyre/routes"), body: nil)
        #expect(code == 200)
        struct Routes: Decodable { var items: [Route] }
        let routes = try JSONDecoder().decode(Routes.self, from: data).items
        #expect(routes.count > 40, "\(routes.count) routes")
        // The continuation key is the credential of /pipeline/continue (DynamicConfigTests check it).
        // The web UI's sign-in page and its assets are open too.
        let open = ["/health-check", "/healthcheck", "/status", "/metrics", "/webhooks/github", "/api/v2/pipeline/continue",
                    "/login", "/logout", "/assets/gyre.css", "/assets/gyre.js"]
        let anonymous = HTTPProbe()
        let wrong = HTTPProbe.authenticated(String(repeating: "0", count: 40))
        var checked = 0
        // Signing in is open too: its body carries the credentials (SessionTests check it).
        // Status badges are public (an SVG saying passing, failing, running or no builds).
        for route in routes where !open.contains(route.path) && !(route.method == "POST" && route.path == "/api/gyre/session")
            && !route.path.hasPrefix("/badges/") {
            let url = URL(string: api.absoluteString + Self.concrete(route.path))!
            let body = ["POST", "PUT", "PATCH"].contains(route.method) ? Data("{}".utf8) : nil
            for (probe, what) in [(anonymous, "no credential"), (wrong, "a wrong token")] {
                let (status, answer) = await probe.send(route.method, url, body: body)
                // A page of the web UI sends a visitor without a session to the sign-in page (the probe follows it).
                if probe.defaultHeaders.isEmpty && route.method == "GET"
                    && (route.path == "/" || route.path == "/admin" || route.path.hasPrefix("/pipelines/")
                        || route.path.hasPrefix("/settings/") || route.path.hasPrefix("/insights/")) {
                    #expect(status == 200 && String(decoding: answer, as: UTF8.self).contains("id=\"sign-in-form\""),
                            "\(route.method) \(route.path) with \(what): \(status)")
                    continue
                }
                let message = (try? JSONDecoder().decode([String: String].self, from: answer))?["message"] ?? ""
                #expect(status == 401 && !message.isEmpty, "\(route.method) \(route.path) with \(what): \(status) \(message)")
            }
            checked += 1
        }
        #expect(checked == routes.count - routes.filter { open.contains($0.path) || $0.path.hasPrefix("/badges/") }.count - 1)
        // The open routes answer without one.
        for path in ["/status", "/healthcheck", "/metrics"] {
            #expect(await anonymous.get(URL(string: api.absoluteString + path)!).0 == 200, "\(path)")
        }
    }

    @Test func theInternalStorageAPIAnswersOnlyAgentsAndTheOperator() async throws {
        let system = try fixture
        let slug = try await system.project("internal-auth", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        let keys = system.system.url(of: "output-processor", path: "/internal/v1/projects/\(slug)/ssh-keys")
        let anonymous = await StorageProbe(base: system.system.url(of: "output-processor")).get(url: keys.absoluteString)
        #expect(anonymous.status == 401, "\(anonymous.text)")
        let wrong = await StorageProbe(base: system.system.url(of: "output-processor"), token: String(repeating: "1", count: 40))
            .send("GET", "/internal/v1/projects/\(slug)/ssh-keys")
        #expect(wrong.status == 401, "\(wrong.text)")
        let operatorCall = await StorageProbe(base: system.system.url(of: "output-processor"), token: system.system.internalToken)
            .send("GET", "/internal/v1/projects/\(slug)/ssh-keys")
        #expect(operatorCall.status == 200, "\(operatorCall.text)")
        // Health stays open.
        #expect(await HTTPProbe().get(system.system.url(of: "output-processor", path: "/status")).0 == 200)
        // The permissions and domain services' internal APIs too: only with GYRE_INTERNAL_TOKEN.
        let me = try JSONDecoder().decode([String: String?].self, from: Data(await system.http.get(
            system.system.apiURL.appendingPathComponent("api/v2/me")).1.utf8))
        let adminId = try #require(me["id"] ?? nil)
        let decision = URL(string: system.system.url(of: "permissions").absoluteString
                           + "/api/v1/access?user=\(adminId)&organization=gh/acme&project=\(slug)")!
        let users = system.system.url(of: "domain", path: "/api/domain/users")
        let bearer = HTTPProbe(defaultHeaders: ["Authorization": "Bearer \(system.system.internalToken)"])
        let forged = HTTPProbe(defaultHeaders: ["Authorization": "Bearer \(String(repeating: "2", count: 40))"])
        for url in [decision, users] {
            #expect(await HTTPProbe().get(url).0 == 401, "\(url)")
            #expect(await forged.get(url).0 == 401, "\(url)")
            let (code, body) = await bearer.get(url)
            #expect(code == 200, "\(url): \(body)")
        }
        let (_, answer) = await bearer.get(decision)
        #expect(answer.contains(#""level":"admin""#) && answer.contains(#""installation_admin":true"#), "\(answer)")
        #expect(await HTTPProbe().get(system.system.url(of: "permissions", path: "/status")).0 == 200)
    }

    @Test func tokensWorkAsCircleCIClientsSendThem() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let token = try #require(system.adminToken)
        let me = api.appendingPathComponent("api/v2/me")
        let byHeader = await HTTPProbe(defaultHeaders: ["Circle-Token": token]).get(me)
        let basic = Data("\(token):".utf8).base64EncodedString()
        let byBasic = await HTTPProbe(defaultHeaders: ["Authorization": "Basic \(basic)"]).get(me)
        let byQuery = await HTTPProbe().get(URL(string: me.absoluteString + "?circle-token=\(token)")!)
        for (code, body) in [byHeader, byBasic, byQuery] {
            #expect(code == 200, "\(body)")
            let user = try JSONDecoder().decode([String: String?].self, from: Data(body.utf8))
            #expect(user["login"] == "admin")
            #expect(user.keys.sorted() == ["avatar_url", "id", "login", "name"])
            #expect(UUID(uuidString: (user["id"] ?? nil) ?? "") != nil)
        }
        // Unknown routes and methods answer with a message too.
        let (missing, missingBody) = await system.http.get(api.appendingPathComponent("api/v2/nothing-here"))
        #expect(missing == 404 && missingBody.contains("\"message\""), "\(missingBody)")
        let (wrongMethod, wrongBody) = await system.http.send("DELETE", me, body: nil)
        let wrongText = String(decoding: wrongBody, as: UTF8.self)
        #expect(wrongMethod == 405 && wrongText.contains("GET"), "\(wrongMethod) \(wrongText)")
    }

    @Test func theFirstUserIsAdminOthersAreNotAndRevokedTokensStopAtOnce() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let gyre = "\(system.system.configuration.binDirectory)/gyre"
        let db = system.system.configuration.postgresURL
        let created = try SystemFixture.shell([gyre, "admin", "create-user", "bob", "--postgres-url", db])
        #expect(created.contains("created user bob") && !created.contains("admin"), "\(created)")
        let bobToken = try SystemFixture.shell([gyre, "admin", "create-token", "bob", "--postgres-url", db])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let bob = APIClient(base: api, token: bobToken)
        let slug = try await system.project("auth-rules", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        try await system.grant("bob", role: "member")
        // A user triggers; only an admin sets a project's git URL or lists users.
        let triggered = try await bob.trigger(slug)
        #expect(triggered.number >= 1)
        // The pipeline and its workflow name bob: his login and his id (UUIDs, as strict clients expect).
        let bobMe = await bob.http.get(api.appendingPathComponent("api/v2/me"))
        let bobId = try #require(try JSONDecoder().decode([String: String?].self, from: Data(bobMe.1.utf8))["id"] ?? nil)
        let outcome = try await bob.wait(for: triggered.id)
        let pipelineJSON = await bob.http.get(api.appendingPathComponent("api/v2/pipeline/\(triggered.id.uuidString.lowercased())"))
        #expect(pipelineJSON.1.contains("\"login\":\"bob\""), "\(pipelineJSON.1)")
        let workflowId = try #require(outcome.workflows.first?.workflow.id)
        let workflowJSON = await bob.http.get(api.appendingPathComponent("api/v2/workflow/\(workflowId.uuidString.lowercased())"))
        #expect(workflowJSON.1.contains("\"started_by\":\"\(bobId)\""), "\(workflowJSON.1)")
        let projectJSON = try JSONDecoder().decode([String: AnyDecodable].self,
                                                   from: Data(await bob.http.get(api.appendingPathComponent("api/v2/project/\(slug)")).1.utf8))
        #expect(UUID(uuidString: projectJSON["id"]?.text ?? "") != nil, "project id")
        #expect(UUID(uuidString: projectJSON["organization_id"]?.text ?? "") != nil, "organization id")
        let setURL = await bob.http.send("POST", api.appendingPathComponent("api/v1.1/project/\(slug)/follow"),
                                         body: Data(#"{"vcs_url": "file:///elsewhere.git"}"#.utf8))
        #expect(setURL.0 == 403, "\(String(decoding: setURL.1, as: UTF8.self))")
        #expect(await bob.http.get(api.appendingPathComponent("api/gyre/users")).0 == 403)
        let users = await system.http.get(api.appendingPathComponent("api/gyre/users"))
        #expect(users.0 == 200 && users.1.contains("\"login\":\"bob\"") && users.1.contains("\"admin\":true"))

        // bob makes a second token, sees it listed without its secret, revokes it: it stops working at once.
        let (made, madeBody) = await bob.http.send("POST", api.appendingPathComponent("api/gyre/tokens"),
                                                   body: Data(#"{"name": "laptop"}"#.utf8))
        #expect(made == 201)
        let second = try JSONDecoder().decode([String: String?].self, from: madeBody)
        let secret = try #require(second["token"] ?? nil)
        let tokenId = try #require(second["id"] ?? nil)
        #expect(secret.count == 40)
        let listed = await bob.http.get(api.appendingPathComponent("api/gyre/tokens"))
        #expect(listed.0 == 200 && listed.1.contains("laptop") && !listed.1.contains(secret))
        let laptop = HTTPProbe.authenticated(secret)
        // A second frontend has seen (and cached) the token before it is revoked on the first.
        try system.system.start("frontend.2")
        let other = system.system.url(of: "frontend.2")
        let (up, _) = await OperationsTests.poll(system.system.url(of: "frontend.2", path: "/status"), until: { $0 == 200 },
                                                 timeout: .seconds(30))
        #expect(up == 200)
        #expect(await laptop.get(api.appendingPathComponent("api/v2/me")).0 == 200)
        #expect(await laptop.get(other.appendingPathComponent("api/v2/me")).0 == 200)
        let revoked = await bob.http.send("DELETE", api.appendingPathComponent("api/gyre/tokens/\(tokenId)"), body: nil)
        #expect(revoked.0 == 200)
        #expect(await laptop.get(api.appendingPathComponent("api/v2/me")).0 == 401)
        #expect(await laptop.get(other.appendingPathComponent("api/v2/me")).0 == 401)
        #expect(await system.system.signal("frontend.2", SIGTERM) == .exited(0))
        #expect(await HTTPProbe.authenticated(bobToken).get(api.appendingPathComponent("api/v2/me")).0 == 200)
    }
}
}

/// A JSON value whose text is kept when it is a string.
struct AnyDecodable: Decodable {
    var text: String?
    init(from decoder: any Decoder) throws {
        text = try? decoder.singleValueContainer().decode(String.self)
    }
}
