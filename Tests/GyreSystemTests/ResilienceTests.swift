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

extension EndToEnd {
/// Two replicas of the core services side by side: competing consumers,
/// idempotent handlers, concurrent migrations, several agents.
@Suite struct ReplicaTests {
    @Test func twoReplicasOfEachCoreServiceRunPipelinesTogether() async throws {
        let system = try fixture
        let replicas = ["frontend.2", "dispatcher.2", "picard-scheduler.2", "output-processor.2", "build-agent.2"]
        for instance in replicas { try system.system.start(instance) }
        // (If the test fails midway, the suite's teardown stops the replicas too.)
        // Both frontends must answer before we use the second one.
        for instance in replicas {
            let status = system.system.url(of: instance, path: "/status")
            let (code, body) = await OperationsTests.poll(status, until: { $0 == 200 }, timeout: .seconds(30))
            #expect(code == 200, "\(instance): \(body)\n\(system.system.logTail(instance))")
        }
        let slug = try await system.project("replicas", config: ResilienceTests.countingConfig(lines: 5, pause: "0.01"))
        let clients = [system.client, APIClient(base: system.system.url(of: "frontend.2"), token: system.adminToken)]
        var ids: [UUID] = []
        for index in 0..<12 { ids.append(try await clients[index % 2].trigger(slug).id) }
        var numbers: Set<Int> = []
        for (index, id) in ids.enumerated() {
            let outcome = try await clients[(index + 1) % 2].wait(for: id, timeout: .seconds(120))
            numbers.insert(outcome.pipeline.number)
            try await ResilienceTests.expectCompleteOutput(system, slug: slug, outcome: outcome, lines: 5)
        }
        // Pipeline numbers stay unique when two frontends allocate them.
        #expect(numbers.count == ids.count)
        for instance in replicas {
            let ending = await system.system.signal(instance, SIGTERM)
            #expect(ending == .exited(0), "\(instance) ended \(ending)\n\(system.system.logTail(instance))")
        }
    }
}
}
