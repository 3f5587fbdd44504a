import Foundation
import GyreLocal
import Testing

/// Services stop cleanly on SIGTERM, and killing them mid-flight loses nothing.
extension EndToEnd {
@Suite struct ResilienceTests {
    /// A self-hosted runner job printing numbered lines, slowly enough to be caught mid-flight.
    static func countingConfig(lines: Int, pause: String) -> String {
        """
        version: 2.1
        jobs:
          count:
            machine: true
            resource_class: gyre/host
            steps:
              - run: for i in $(seq 1 \(lines)); do echo "line $i"; sleep \(pause); done
        workflows:
          main:
            jobs: [count]
        """
    }

    static func expectCompleteOutput(_ system: SystemFixture, slug: String, outcome: APIClient.Outcome, lines: Int) async throws {
        #expect(outcome.status == "success", "\(system.logs())")
        let job = try #require(outcome.workflows.first?.jobs.first)
        let steps = try await system.client.steps(slug, job: try #require(job.job_number))
        let expected = (1...lines).map { "line \($0)\n" }.joined()
        #expect(steps.last?.output == expected)
    }

    @Test func everyServiceShutsDownGracefullyOnSIGTERMAndComesBack() async throws {
        let system = try fixture.system
        for entry in ServiceCatalog.all {
            let ending = await system.signal(entry.name, SIGTERM, timeout: .seconds(20))
            #expect(ending == .exited(0), "\(entry.name) ended \(ending)\n\(system.logTail(entry.name))")
            try system.start(entry.name)
        }
        try await system.waitUntilReady(timeout: .seconds(60))
    }

    @Test func killingTheServicesMidFlightLosesNoJobAndNoLine() async throws {
        let system = try fixture
        let slug = try await system.project("kill-core", config: Self.countingConfig(lines: 20, pause: "0.05"))
        var ids: [UUID] = []
        for _ in 0..<6 { ids.append(try await system.client.trigger(slug).id) }
        try await Task.sleep(for: .milliseconds(300))
        for name in ["dispatcher", "picard-scheduler", "output-processor"] {
            #expect(await system.system.signal(name, SIGKILL) == .signalled(SIGKILL))
        }
        try await Task.sleep(for: .milliseconds(500))
        for name in ["dispatcher", "picard-scheduler", "output-processor"] { try system.system.start(name) }
        for id in ids {
            let outcome = try await system.client.wait(for: id, timeout: .seconds(120))
            try await Self.expectCompleteOutput(system, slug: slug, outcome: outcome, lines: 20)
        }
    }

    @Test func aJobWhoseAgentIsKilledRunsAgainOnAnotherAgent() async throws {
        let system = try fixture
        let slug = try await system.project("kill-agent", config: Self.countingConfig(lines: 10, pause: "0.3"))
        let id = try await system.client.trigger(slug).id
        // Wait until the job is running, then kill its agent.
        let deadline = ContinuousClock.now + .seconds(30)
        var running = false
        while !running && ContinuousClock.now < deadline {
            let workflows = try await system.client.workflows(pipeline: id)
            if let workflow = workflows.first {
                running = try await system.client.jobs(workflow: workflow.id).first?.status == "running"
            }
            if !running { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(running)
        #expect(await system.system.signal("build-agent", SIGKILL) == .signalled(SIGKILL))
        try system.system.start("build-agent")
        let outcome = try await system.client.wait(for: id, timeout: .seconds(120))
        try await Self.expectCompleteOutput(system, slug: slug, outcome: outcome, lines: 10)
    }
}
}
