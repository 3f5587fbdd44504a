import Foundation
import GyreLocal
import GyreModel
import Testing

/// Draining a build agent from the admin API and page, and the system health the admin page shows.
extension EndToEnd {
@Suite struct AgentDrainTests {
    struct AgentOut: Decodable {
        var name: String
        var capabilities: [String]
        var capacity: Int
        var running: Int
        var accepting: Bool
        var drained: Bool
        var state: String
        var last_heartbeat_at: String
    }

    struct Agents: Decodable { var items: [AgentOut] }

    static func agents(_ system: SystemFixture, _ path: String = "api/gyre/agents", method: String = "GET",
                       http: HTTPProbe? = nil) async -> (Int, [AgentOut], String) {
        let (code, data) = await (http ?? system.http).send(method, system.system.apiURL.appendingPathComponent(path),
                                                           body: method == "POST" ? Data() : nil)
        let text = String(decoding: data, as: UTF8.self)
        return (code, (try? JSONDecoder().decode(Agents.self, from: data))?.items ?? [], text)
    }

    /// An agent of its own (a runner class nobody else offers), so the rest of the suite is not held up.
    @Test func aDrainedAgentFinishesItsJobsTakesNoNewOnesAndTakesThemAgainOnceUndrained() async throws {
        let system = try fixture
        let runnerClass = "gyre/\(LifecycleTests.unique("drain"))"
        let name = LifecycleTests.unique("drain-agent")
        let agent = try LifecycleTests.ExtraAgent(system: system, name: name, environment: [
            "GYRE_AGENT_DOCKER": "false", "GYRE_AGENT_RUNNER_CLASSES": runnerClass,
        ])
        defer { agent.stop() }
        let registered = try await LeaseTests.eventually(.seconds(30)) {
            await Self.agents(system).1.contains { $0.name == name }
        }
        #expect(registered, "\(agent.log)")
        let listed = try #require(await Self.agents(system).1.first { $0.name == name })
        #expect(listed.state == "accepting" && !listed.drained && listed.accepting && listed.capacity == 2
                && listed.capabilities.contains("machine:\(runnerClass)"), "\(listed)")

        // Others may not list, drain or undrain; an unknown agent is 404.
        let member = HTTPProbe.authenticated(try system.user(LifecycleTests.unique("drain-member")))
        for (method, path) in [("GET", "api/gyre/agents"), ("POST", "api/gyre/agents/\(name)/drain"),
                               ("POST", "api/gyre/agents/\(name)/undrain")] {
            let (code, _, body) = await Self.agents(system, path, method: method, http: member)
            #expect(code == 403 && body.contains("\"message\"") && body.contains("installation admin"), "\(method) \(path): \(code) \(body)")
        }
        let (unknown, _, unknownBody) = await Self.agents(system, "api/gyre/agents/no-such-agent/drain", method: "POST")
        #expect(unknown == 404 && unknownBody.contains("no-such-agent"), "\(unknownBody)")

        let slug = try await system.project(LifecycleTests.unique("drain"), config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: \(runnerClass)
                steps:
                  - run: sleep 4; echo built
            workflows:
              main:
                jobs: [build]
            """)
        // A long job runs, then the agent is drained under it: it finishes normally.
        let first = try await system.client.trigger(slug).id
        let running = try await LeaseTests.eventually(.seconds(30)) {
            try system.sql("SELECT status FROM jobs WHERE pipeline_id = '\(first.uuidString.lowercased())'").first == "running"
        }
        #expect(running, "\(system.logs())")
        let (drainCode, drained, drainBody) = await Self.agents(system, "api/gyre/agents/\(name)/drain", method: "POST")
        #expect(drainCode == 200 && drained.first?.drained == true && drained.first?.state == "drained", "\(drainBody)")
        do {
            #expect(try await system.client.wait(for: first, timeout: .seconds(60)).status == "success")

            // A new job waits, saying the agent is drained, and is not placed while the agent heartbeats on.
            let second = try await system.client.trigger(slug).id
            var number: Int?
            let queued = try await LeaseTests.eventually(.seconds(30)) {
                guard let workflow = try await system.client.workflows(pipeline: second).first,
                      let job = try await system.client.jobs(workflow: workflow.id).first else { return false }
                number = job.job_number
                return job.status == "queued"
            }
            #expect(queued)
            try await Task.sleep(for: .seconds(3))
            let waiting = try await system.client.job(slug, number: try #require(number))
            #expect(waiting.status == "queued")
            #expect(waiting.waiting?.reason == "drained", "\(waiting.messages)")
            #expect(waiting.waiting?.message == "waiting for an agent with resource class \(runnerClass): agent \(name) is drained by an admin")
            let after = try #require(await Self.agents(system).1.first { $0.name == name })
            #expect(after.drained && after.accepting && after.state == "drained", "\(after)")

            // The admin page says so and offers Undrain.
            let cookie = try await Self.adminCookie(system)
            let (pageCode, page) = await UIPagesTests.page(system, "admin", cookie: cookie)
            let row = page.components(separatedBy: "data-name=\"\(name)\"").dropFirst().first ?? ""
            #expect(pageCode == 200 && row.hasPrefix(" data-state=\"drained\"") && row.contains("<td>drained</td>")
                    && row.contains("data-url=\"/api/gyre/agents/\(name)/undrain\""), "\(row.prefix(600))")

            // Undrained: the waiting job runs.
            let (undrainCode, undrained, _) = await Self.agents(system, "api/gyre/agents/\(name)/undrain", method: "POST")
            #expect(undrainCode == 200 && undrained.first?.drained == false)
            #expect(try await system.client.wait(for: second, timeout: .seconds(60)).status == "success")
        } catch {
            _ = await Self.agents(system, "api/gyre/agents/\(name)/undrain", method: "POST")
            throw error
        }

        // Both decisions are in the audit log, with the agent as the target and the admin as the actor.
        let events = try await AuditLogTests.waitForEvents(system, "from=2000-01-01T00:00:00Z") { events in
            events.contains { $0.action == "agent.drain" && $0.target.name == name }
                && events.contains { $0.action == "agent.undrain" && $0.target.name == name }
        }
        let drain = try #require(events.first { $0.action == "agent.drain" && $0.target.name == name })
        #expect(drain.target.type == "agent" && drain.actor.name == "admin" && drain.payload["drained"] == .bool(true)
                && drain.payload["agent_name"] == .string(name))
    }

    /// The admin page shows the ready-agent's view of every service.
    @Test func theAdminPageShowsSystemHealth() async throws {
        let system = try fixture
        let cookie = try await Self.adminCookie(system)
        // A reading an earlier test left (say, during an outage) is replaced within a few seconds.
        var page = ""
        let allReady = try await LeaseTests.eventually(.seconds(20)) {
            let (code, body) = await UIPagesTests.page(system, "admin", cookie: cookie)
            page = body
            return code == 200 && body.contains("System health") && body.contains("Every service is ready.")
        }
        #expect(allReady, "\(page.suffix(3000))")
        for entry in ServiceCatalog.all where entry.name != "ready-agent" {
            #expect(page.contains("data-name=\"\(entry.name)\" data-ready=\"true\""), "\(entry.name)")
        }
        #expect(page.contains(" ms</td>"))
        // The ready-agent's own answer carries each probe's detail, next to the fields it always had.
        let (readyCode, ready) = await HTTPProbe().get(system.system.url(of: "ready-agent", path: "/ready"))
        #expect(readyCode == 200 && ready.contains("\"waiting_for\":{}") && ready.contains("\"services\":[")
                && ready.contains("\"checks\":[") && ready.contains("\"response_ms\":"), "\(ready)")

        // A service stopped: the page names it, not ready, and why (the page shows the last reading and asks
        // for a new one when it is older than 2 s, so it says so within a few seconds).
        #expect(await system.system.signal("domain", SIGTERM) != .notRunning)
        var domainRow = ""
        let named = try await LeaseTests.eventually(.seconds(20)) {
            let (_, stopped) = await UIPagesTests.page(system, "admin", cookie: cookie)
            domainRow = String(stopped.components(separatedBy: "data-name=\"domain\"").dropFirst().first?.prefix(300) ?? "")
            return stopped.contains("Not every service is ready.") && domainRow.hasPrefix(" data-ready=\"false\"")
        }
        try system.system.start("domain")
        #expect(named && domainRow.contains("unreachable"), "\(domainRow)")
        try await system.system.waitUntilReady(timeout: .seconds(30))

        // The ready-agent stopped: the page still answers and says so.
        #expect(await system.system.signal("ready-agent", SIGTERM) != .notRunning)
        var down = ""
        let said = try await LeaseTests.eventually(.seconds(20)) {
            let (downCode, page) = await UIPagesTests.page(system, "admin", cookie: cookie)
            down = page
            return downCode == 200 && page.contains("id=\"health-unavailable\"")
        }
        try system.system.start("ready-agent")
        #expect(said && down.contains("does not answer"), "\(down.suffix(2000))")
        try await system.system.waitUntilReady(timeout: .seconds(30))
    }

    /// An installation admin with a password, signed in through the form.
    static func adminCookie(_ system: SystemFixture) async throws -> String {
        let login = "drain-admin"
        let password = "drain-admin-pass-1"
        if (try? system.sql("SELECT 1 FROM users WHERE login = '\(login)'"))?.isEmpty != false {
            let token = try system.user(login)
            _ = await system.http.send("PATCH", system.system.apiURL.appendingPathComponent("api/gyre/users/\(login)"),
                                       body: Data(#"{"admin": true}"#.utf8))
            let (code, _) = await HTTPProbe.authenticated(token).send(
                "PUT", system.system.apiURL.appendingPathComponent("api/gyre/me/password"),
                body: Data(#"{"new_password": "\#(password)"}"#.utf8))
            #expect(code == 200)
        }
        return try await UIPagesTests.session(system, login: login, password: password)
    }
}
}
