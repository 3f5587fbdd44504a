import Foundation
import GyreLocal
import Testing

/// The web UI in a real browser (Debian's Chromium through Selenium, prepared
/// by deploy/scripts/browser-env.sh): sign in, the projects and pipelines,
/// a job's log arriving live, approving a hold, signing out. Screenshots of
/// every page go to `$GYRE_HOME/test-outputs/screenshots`.
extension EndToEnd {
@Suite struct BrowserTests {
    static var home: String { ProcessInfo.processInfo.environment["GYRE_HOME"] ?? "\(SystemFixture.repoRoot)/.run" }

    @Test func aUserSignsInWatchesALogArriveLiveApprovesAHoldAndSignsOut() async throws {
        let system = try fixture
        let api = system.system.apiURL
        // The line arrives a few seconds after the job starts, while the browser is on the job page.
        let live = try await system.project("browser-live", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob(#"echo preparing; sleep 15; printf '\033[32mLIVE-LINE-42\033[0m arrived\n'; sleep 8; echo done"#))
            """)
        let held = try await system.project("browser-hold", config: approvalWorkflow())
        // A member (once the organisation exists) of the organisation with a password, set by the user through the API.
        let password = "browser-pass-\(UUID().uuidString.prefix(8))"
        let token = try system.user("browser-user")
        try await system.grant("browser-user", role: "member")
        let (changed, answer) = await HTTPProbe.authenticated(token).send(
            "PUT", api.appendingPathComponent("api/gyre/me/password"), body: Data(#"{"new_password": "\#(password)"}"#.utf8))
        #expect(changed == 200, "\(String(decoding: answer, as: UTF8.self))")
        let heldPipeline = try await system.client.trigger(held)
        let workflow = try #require(try await system.client.waitForWorkflows(pipeline: heldPipeline.id).first)
        _ = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in workflow.status == "on_hold" }
        _ = try await system.client.trigger(live)

        let screenshots = "\(Self.home)/test-outputs/screenshots"
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        let output = try SystemFixture.shell([
            "\(Self.home)/browser-venv/bin/python", "\(SystemFixture.repoRoot)/Tests/Browser/ui_test.py",
            "--base", api.absoluteString, "--login", "browser-user", "--password", password, "--slug", live,
            "--expect", "LIVE-LINE-42", "--approve-slug", held, "--screenshots", screenshots,
        ])
        try output.write(toFile: "\(screenshots)/ui-test.log", atomically: true, encoding: .utf8)
        #expect(output.contains("checks passed"), "\(output)")
        #expect(output.contains("(running) log shows 'LIVE-LINE-42': arrived live"),
                "the line must reach the open job page while its step still runs: \(output)")
        for name in ["01-sign-in-error", "02-projects", "03-pipelines", "04-pipeline", "05-job-live", "06-job-done", "07-approved"] {
            #expect(FileManager.default.fileExists(atPath: "\(screenshots)/\(name).png"), "\(name).png")
        }
        // The approval made in the browser counted.
        let done = try await system.client.wait(for: heldPipeline.id)
        #expect(done.status == "success", "\(done.workflows.map { $0.jobs.map { ($0.name, $0.status) } })")
    }
}
}
