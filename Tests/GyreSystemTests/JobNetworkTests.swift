import Foundation
import GyreLocal
import Testing

/// The job network is the build agent's setting (GYRE_AGENT_JOB_NETWORK).
extension EndToEnd {
@Suite struct JobNetworkTests {
    static let config = """
        version: 2.1
        jobs:
          net:
        \(dockerJob("""
              - run: echo $(ls /sys/class/net)
        """))
        workflows:
          main:
            jobs: [net]
        """

    func interfaces(_ system: SystemFixture, slug: String) async throws -> String {
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id, timeout: .seconds(120))
        #expect(outcome.status == "success", "\(system.logs())")
        let job = try #require(outcome.workflows.first?.jobs.first)
        return (try await system.client.steps(slug, job: try #require(job.job_number)).last?.output ?? "")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func jobsGetNoNetworkByDefaultAndTheHostsWhenTheOperatorSaysSo() async throws {
        let system = try fixture
        let slug = try await system.project(LifecycleTests.unique("network"), config: Self.config)
        // The suite's agent keeps the default: only the loopback interface.
        #expect(try await interfaces(system, slug: slug) == "lo")

        // An agent set to `host` (the suite's agent stopped meanwhile, so it takes the job).
        let agent = try LifecycleTests.ExtraAgent(system: system, name: LifecycleTests.unique("host-net"),
                                                  environment: ["GYRE_AGENT_JOB_NETWORK": "host"])
        defer { agent.stop() }
        #expect(await system.system.signal("build-agent", SIGTERM) == .exited(0))
        let hostInterfaces = try await interfaces(system, slug: slug)
        try system.system.start("build-agent")
        try await system.system.waitUntilReady(timeout: .seconds(60))
        let expected = try FileManager.default.contentsOfDirectory(atPath: "/sys/class/net").sorted()
        #expect(hostInterfaces.split(separator: " ").map(String.init).sorted() == expected, "\(agent.log)")

        // A value that is no network is a configuration problem on /status.
        let bad = try LifecycleTests.ExtraAgent(system: system, name: LifecycleTests.unique("bad-net"),
                                                environment: ["GYRE_AGENT_JOB_NETWORK": "container:x"])
        defer { bad.stop() }
        let status = URL(string: "http://127.0.0.1:\(bad.port)/status")!
        let (code, body) = await OperationsTests.poll(status, until: { $0 == 500 }, timeout: .seconds(30))
        #expect(code == 500)
        #expect(body.contains("GYRE_AGENT_JOB_NETWORK"), "\(body)")
    }
}
}
