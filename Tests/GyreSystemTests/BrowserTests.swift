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
            \(hostJob(#"echo preparing; sleep 15; printf '\033[32mLIVE-LINE-42\033[0m arrived\n'; for i in 1 2 3 4 5 6; do printf 'STAMP %s\n' $(date +%s%3N); sleep 1; done; sleep 2; echo done"#))
            """)
        // About 50 MB of output, printed once the browser is on the job page (it creates the go file; at most 5 minutes).
        let go = NSTemporaryDirectory() + "gyre-browser-big-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: go) }
        let big = try await system.project("browser-big", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob(#"for i in $(seq 1500); do [ -e \#(go) ] && break; sleep 0.2; done; echo BIG-HEAD-LINE; (yes 'a line of a very long log, to see the page stay responsive 0123456789' || true) | head -c 50000000; echo; echo BIG-FINAL-LINE"#))
            """)
        let held = try await system.project("browser-hold", config: approvalWorkflow())
        // A member (once the organisation exists) of the organisation with a password, set by the user through the API.
        let password = "browser-pass-\(UUID().uuidString.prefix(8))"
        let token = try system.user("browser-user")
        try await system.grant("browser-user", role: "member")
        let (changed, answer) = await HTTPProbe.authenticated(token).send(
            "PUT", api.appendingPathComponent("api/gyre/me/password"), body: Data(#"{"new_password": "\#(password)"}"#.utf8))
        #expect(changed == 200, "\(String(decoding: answer, as: UTF8.self))")
        // An installation admin with a password, for the admin page and the audit CSV.
        let adminPassword = "browser-admin-\(UUID().uuidString.prefix(8))"
        let adminToken = try system.user("browser-admin", admin: true)
        let (set, setAnswer) = await HTTPProbe.authenticated(adminToken).send(
            "PUT", api.appendingPathComponent("api/gyre/me/password"), body: Data(#"{"new_password": "\#(adminPassword)"}"#.utf8))
        #expect(set == 200, "\(String(decoding: setAnswer, as: UTF8.self))")
        let heldPipeline = try await system.client.trigger(held)
        let workflow = try #require(try await system.client.waitForWorkflows(pipeline: heldPipeline.id).first)
        _ = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in workflow.status == "on_hold" }
        _ = try await system.client.trigger(live)
        let bigPipeline = try await system.client.trigger(big)

        let screenshots = "\(Self.home)/test-outputs/screenshots"
        try FileManager.default.createDirectory(atPath: screenshots, withIntermediateDirectories: true)
        let run = Result { try SystemFixture.shell([
            "\(Self.home)/browser-venv/bin/python", "\(SystemFixture.repoRoot)/Tests/Browser/ui_test.py",
            "--base", api.absoluteString, "--login", "browser-user", "--password", password, "--slug", live,
            "--expect", "LIVE-LINE-42", "--approve-slug", held, "--screenshots", screenshots,
            "--big-slug", big, "--big-go-file", go, "--admin-login", "browser-admin", "--admin-password", adminPassword,
        ]) }
        // Whatever happened, the 50 MB job may go on (it must not hold the agent for minutes).
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        // Other suites count the installation's admins: this one goes again.
        let removed = await system.http.send("DELETE", api.appendingPathComponent("api/gyre/users/browser-admin"), body: nil)
        #expect(removed.0 == 200, "\(String(decoding: removed.1, as: UTF8.self))")
        let output = try run.get()
        try output.write(toFile: "\(screenshots)/ui-test.log", atomically: true, encoding: .utf8)
        #expect(output.contains("checks passed"), "\(output)")
        #expect(output.contains("(running) log shows 'LIVE-LINE-42': arrived live"),
                "the line must reach the open job page while its step still runs: \(output)")
        #expect(output.contains("the job page follows the job over its WebSocket"), "\(output)")
        #expect(output.contains("the pipeline page follows its statuses over its WebSocket"), "\(output)")
        #expect(output.contains("workflow success (live)"), "the approved workflow's page updated itself: \(output)")
        #expect(output.contains("by keyboard"), "\(output)")
        #expect(output.contains("50 MB log followed live"), "\(output)")
        #expect(output.contains("searching the whole log found the head line"), "\(output)")
        #expect(output.contains("sign-ins"), "the audit CSV was downloaded: \(output)")
        for name in ["01-sign-in-error", "02-projects", "03-pipelines", "04-pipeline", "05-job-live", "06-job-done",
                     "07-approved", "08-job-phone", "09-big-log-live", "10-big-log", "11-admin", "12-project-settings",
                     "13-organization-settings", "14-insights"] {
            #expect(FileManager.default.fileExists(atPath: "\(screenshots)/\(name).png"), "\(name).png")
        }
        // The approval made in the browser counted.
        let done = try await system.client.wait(for: heldPipeline.id)
        #expect(done.status == "success", "\(done.workflows.map { $0.jobs.map { ($0.name, $0.status) } })")
        let bigDone = try await system.client.wait(for: bigPipeline.id)
        #expect(bigDone.status == "success")
    }
}
}
