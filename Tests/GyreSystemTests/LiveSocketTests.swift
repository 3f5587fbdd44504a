import Foundation
import GyreLocal
import Testing

/// The job page's WebSocket at the protocol level, through two frontend replicas at once (no sticky sessions):
/// every line in order, without gaps, whole UTF-8 characters, a final message and a close; and a page that
/// has part of a log gets only the rest.
extension EndToEnd {
@Suite struct LiveSocketTests {
    @Test func twoFrontendsStreamTheSameLogAndAPageResumesWhereItWas() async throws {
        let system = try fixture
        let slug = try await system.project("live-socket", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob(#"sleep 4; for i in $(seq 1 40); do echo "LINE $i ünïcödé ✓"; sleep 0.05; done; printf '\033[31mred\033[0m\n'"#))
            """)
        try system.system.start("frontend.2")
        defer { Task { _ = await system.system.signal("frontend.2", SIGTERM) } }
        let (up, _) = await OperationsTests.poll(system.system.url(of: "frontend.2", path: "/status"), until: { $0 == 200 },
                                                 timeout: .seconds(30))
        #expect(up == 200)
        let pipeline = try await system.client.trigger(slug)
        let workflow = try #require(try await system.client.waitForWorkflows(pipeline: pipeline.id).first)
        let (_, jobs) = try await system.client.waitForWorkflow(workflow.id) { _, jobs in jobs.first?.job_number != nil }
        let number = try #require(jobs.first?.job_number)

        let token = try #require(system.adminToken)
        let bases = [system.system.apiURL.absoluteString, system.system.url(of: "frontend.2").absoluteString]
        let output = try SystemFixture.shell([
            "\(BrowserTests.home)/browser-venv/bin/python", "\(SystemFixture.repoRoot)/Tests/Browser/socket_test.py",
            "--base", bases[0], "--base", bases[1], "--token", token, "--slug", slug, "--job", String(number),
            "--marker", "LINE 40",
        ])
        struct Result: Decodable {
            struct Base: Decodable { var updates: Int; var final: Bool; var statuses: [String]; var text: String }
            struct Resumed: Decodable { var from: Int; var text: String }
            var bases: [String: Base]
            var resumed: Resumed
            var full: String
            var tail: String
        }
        let result = try JSONDecoder().decode(Result.self, from: Data(output.utf8))
        let expected = (1...40).map { "LINE \($0) ünïcödé ✓\n" }.joined() + "\u{1b}[31mred\u{1b}[0m\n"
        #expect(result.full == expected)
        #expect(result.bases.count == 2)
        for (base, followed) in result.bases {
            #expect(followed.final, "\(base) said the job ended")
            #expect(followed.text == expected, "\(base) sent the whole log, in order")
            #expect(followed.statuses.last == "success", "\(base): \(followed.statuses)")
            #expect(followed.statuses.contains("running"), "\(base) followed the job while it ran: \(followed.statuses)")
            #expect(followed.updates > 2, "\(base) sent updates as the lines came: \(followed.updates)")
        }
        #expect(result.resumed.from > 0)
        let from = result.resumed.from
        #expect(result.resumed.text == result.tail, "a page that has the first \(from) bytes gets only the rest")
    }
}
}
