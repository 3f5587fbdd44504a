import Foundation
import GyreLocal
import GyreProcess
import Testing

/// A job's life on the agent end to end: the job time limit, reaping of
/// leftover containers, cancel. Tests needing agent settings of their own
/// start an extra build-agent on the suite's system.
extension EndToEnd {
@Suite struct LifecycleTests {
    /// A build-agent process of the test's own, joined to the running system.
    final class ExtraAgent: Sendable {
        let pid: Int32
        let name: String
        let port: Int
        let workDirectory: String
        let logPath: String

        init(system: SystemFixture, name: String, environment extra: [String: String]) throws {
            let configuration = system.system.configuration
            self.name = name
            workDirectory = "\(configuration.runDirectory)/\(name)"
            logPath = "\(configuration.runDirectory)/logs/\(name).log"
            var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GYRE_") }
            port = try SystemFixture.freePortBase(count: 1)
            env["GYRE_PORT"] = String(port)
            env["GYRE_BIND"] = "127.0.0.1"
            env["GYRE_NAMESPACE"] = configuration.namespace
            env["GYRE_POSTGRES_URL"] = configuration.postgresURL
            env["GYRE_AMQP_URL"] = configuration.amqpURL
            env["GYRE_REDIS_URL"] = configuration.redisURL
            env["GYRE_STORAGE_DIR"] = system.system.storageDirectory
            env["GYRE_STORAGE_URL"] = system.system.url(of: "output-processor").absoluteString
            env["GYRE_CONTEXTS_URL"] = system.system.url(of: "contexts").absoluteString
            env["GYRE_VCS_BASE"] = configuration.vcsBase
            env["GYRE_GIT_CACHE"] = "\(configuration.runDirectory)/git-cache-\(name)"
            env["GYRE_AGENT_WORK_DIR"] = workDirectory
            env["GYRE_AGENT_NAME"] = name
            env["GYRE_AGENT_CAPACITY"] = "2"
            env["GYRE_EXTERNAL_URL"] = system.system.apiURL.absoluteString
            env["GYRE_LOG_LEVEL"] = "info"
            for (key, value) in extra { env[key] = value }
            try FileManager.default.createDirectory(atPath: "\(configuration.runDirectory)/logs",
                                                    withIntermediateDirectories: true)
            let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            defer { close(log) }
            pid = try Spawn.start(["\(configuration.binDirectory)/build-agent"], environment: env, directory: nil,
                                  outputFD: log)
        }

        var builderLabel: String { "\(name)@\(workDirectory)" }

        var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

        /// Graceful stop (it tells the scheduler it takes no more work), then waits for the exit.
        func stop() {
            kill(pid, SIGTERM)
            _ = Spawn.wait(pid)
        }
    }

    static func unique(_ name: String) -> String {
        "\(name)-\(UUID().uuidString.lowercased().prefix(8))"
    }

    @Test func aJobOverTheTimeLimitTimesOutAndItsLaterStepsDoNotRun() async throws {
        let system = try fixture
        let runnerClass = "gyre/\(Self.unique("slow"))"
        let agent = try ExtraAgent(system: system, name: Self.unique("timeout-agent"), environment: [
            "GYRE_AGENT_DOCKER": "false", "GYRE_AGENT_RUNNER_CLASSES": runnerClass, "GYRE_JOB_TIMEOUT_SECONDS": "3",
        ])
        defer { agent.stop() }
        let slug = try await system.project(Self.unique("timeout"), config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: \(runnerClass)
                steps:
                  - run: echo quick
                  - run:
                      name: Too slow
                      command: echo slow-start; sleep 120; echo slow-end
                  - run: echo never-runs
            workflows:
              main:
                jobs: [build]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id, timeout: .seconds(90))
        let job = try #require(outcome.workflows.first?.jobs.first, "\(agent.log)")
        #expect(job.status == "timedout", "\(agent.log)")
        let steps = try await system.client.steps(slug, job: try #require(job.job_number))
        #expect(steps.map(\.status) == ["success", "success", "timedout", "not_run"], "\(steps.map { ($0.name, $0.status) })")
        #expect(steps.count == 4 && steps[2].output.contains("slow-start"))
        #expect(steps.count == 4 && steps[2].output.contains("job exceeded the maximum run time of 3s"), "\(steps.map(\.output))")
        #expect(steps.count == 4 && !steps[2].output.contains("slow-end"))
    }

    @Test func leftoverContainersOfThisBuilderAreReapedAtStartAndPeriodicallyAndOthersAreKept() async throws {
        let system = try fixture
        let name = Self.unique("reap-agent")
        let workDirectory = "\(system.system.configuration.runDirectory)/\(name)"
        let image = system.jobImage
        let orphan = "gyre-test-orphan-\(UUID().uuidString.lowercased().prefix(8))"
        let foreign = "gyre-test-foreign-\(UUID().uuidString.lowercased().prefix(8))"
        try SystemFixture.shell(["docker", "create", "--name", orphan, "--network", "none",
                                 "--label", "gyre.builder=\(name)@\(workDirectory)",
                                 "--label", "gyre.job=\(UUID().uuidString.lowercased())", "--label", "gyre.attempt=1",
                                 image, "true"])
        try SystemFixture.shell(["docker", "create", "--name", foreign, "--network", "none",
                                 "--label", "gyre.builder=\(name)-other@\(workDirectory)",
                                 "--label", "gyre.job=\(UUID().uuidString.lowercased())", "--label", "gyre.attempt=1",
                                 image, "true"])
        defer { _ = try? SystemFixture.shell(["docker", "rm", "--force", orphan, foreign]) }
        let agent = try ExtraAgent(system: system, name: name, environment: [
            "GYRE_AGENT_DOCKER": "true", "GYRE_AGENT_RUNNER_CLASSES": "gyre/\(name)", "GYRE_AGENT_REAP_SECONDS": "1",
        ])
        defer { agent.stop() }
        #expect(agent.builderLabel == "\(name)@\(workDirectory)")
        func exists(_ container: String) throws -> Bool {
            try !SystemFixture.shell(["docker", "ps", "--all", "--filter", "name=^\(container)$", "--format", "{{.Names}}"])
                .trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while try exists(orphan), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try !exists(orphan), "\(agent.log)")
        #expect(try exists(foreign))

        // One left behind while the agent runs goes at the next periodic pass.
        let late = "gyre-test-late-\(UUID().uuidString.lowercased().prefix(8))"
        defer { _ = try? SystemFixture.shell(["docker", "rm", "--force", late]) }
        try SystemFixture.shell(["docker", "create", "--name", late, "--network", "none",
                                 "--label", "gyre.builder=\(name)@\(workDirectory)",
                                 "--label", "gyre.job=\(UUID().uuidString.lowercased())", "--label", "gyre.attempt=1",
                                 image, "true"])
        let periodic = ContinuousClock.now + .seconds(60)
        while try exists(late), ContinuousClock.now < periodic {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try !exists(late), "\(agent.log)")
        #expect(try exists(foreign))
    }
    @Test func cancelingARunningDockerJobStopsItAndRemovesItsContainers() async throws {
        let system = try fixture
        let slug = try await system.project(Self.unique("cancel"), config: """
            version: 2.1
            jobs:
              build:
                docker:
                  - image: \(system.jobImage)
                  - image: \(system.jobImage)
                    name: sidecar
                    command: ["sleep", "600"]
                steps:
                  - run:
                      name: Long
                      command: echo long-started; sleep 120; echo long-ended
                  - run: echo never-runs
            workflows:
              main:
                jobs: [build]
            """)
        let created = try await system.client.trigger(slug)
        func containers() throws -> [String] {
            try SystemFixture.shell(["docker", "ps", "--all", "--filter", "label=gyre.project=\(slug)", "--format", "{{.Names}}"])
                .split(separator: "\n").map(String.init)
        }
        // Wait until the long step runs (its output arrived).
        var started: (workflow: UUID, number: Int)?
        let deadline = ContinuousClock.now + .seconds(90)
        while started == nil, ContinuousClock.now < deadline {
            if let workflow = try await system.client.workflows(pipeline: created.id).first,
               let job = try await system.client.jobs(workflow: workflow.id).first, let number = job.job_number,
               try await system.client.steps(slug, job: number).contains(where: { $0.output.contains("long-started") }) {
                started = (workflow.id, number)
            } else {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
        let running = try #require(started, "the long step never started\n\(system.logs())")
        #expect(try containers().count == 2)

        _ = try await system.client.cancel(workflow: running.workflow)
        // Gone long before the step's sleep would have ended.
        let removal = ContinuousClock.now + .seconds(60)
        while try !containers().isEmpty, ContinuousClock.now < removal {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try containers().isEmpty, "\(system.logs())")
        let (workflow, _) = try await system.client.waitForWorkflow(running.workflow) { workflow, _ in
            workflow.status != "running"
        }
        #expect(workflow.status == "canceled")
        // The agent reported the open step canceled and the rest not run.
        var steps: [APIClient.Step] = []
        let reported = ContinuousClock.now + .seconds(30)
        repeat {
            steps = try await system.client.steps(slug, job: running.number)
            if steps.count == 3 && steps[1].status != "running" { break }
            try await Task.sleep(for: .milliseconds(200))
        } while ContinuousClock.now < reported
        #expect(steps.map(\.status) == ["success", "canceled", "not_run"], "\(steps.map { ($0.name, $0.status) })")
        #expect(steps.count == 3 && steps[1].output.contains("the job was canceled"))
        #expect(steps.count == 3 && !steps[1].output.contains("long-ended"))
    }
    @Test func containersOfAKilledAgentAreReapedWhenItRestarts() async throws {
        let system = try fixture
        let slug = try await system.project(Self.unique("killed-agent"), config: """
            version: 2.1
            jobs:
              build:
                docker:
                  - image: \(system.jobImage)
                steps:
                  - run: echo first-output; sleep 6; echo finished
            workflows:
              main:
                jobs: [build]
            """)
        let id = try await system.client.trigger(slug).id
        func firstAttempt() throws -> [String] {
            try SystemFixture.shell(["docker", "ps", "--all", "--filter", "label=gyre.project=\(slug)",
                                     "--filter", "label=gyre.attempt=1", "--format", "{{.Names}}"])
                .split(separator: "\n").map(String.init)
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while try firstAttempt().isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(try firstAttempt().count == 1)
        #expect(await system.system.signal("build-agent", SIGKILL) == .signalled(SIGKILL))
        // Nothing removed the container of the killed agent's job...
        #expect(try firstAttempt().count == 1)
        try system.system.start("build-agent")
        // ...until the agent of the same builder started again.
        let reaped = ContinuousClock.now + .seconds(60)
        while try !firstAttempt().isEmpty, ContinuousClock.now < reaped {
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(try firstAttempt().isEmpty, "\(system.logs())")
        let outcome = try await system.client.wait(for: id, timeout: .seconds(120))
        #expect(outcome.status == "success")
    }
    @Test func cancelingAHostRunnerJobKillsItsProcesses() async throws {
        let system = try fixture
        let pidFile = "\(system.system.configuration.runDirectory)/\(Self.unique("sleeper")).pid"
        let slug = try await system.project(Self.unique("cancel-host"), config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: sleep 300 & echo $! > \(pidFile); echo sleeper-started; wait
            workflows:
              main:
                jobs: [build]
            """)
        let created = try await system.client.trigger(slug)
        let deadline = ContinuousClock.now + .seconds(60)
        while !FileManager.default.fileExists(atPath: pidFile), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) == 0)
        let workflow = try #require(try await system.client.workflows(pipeline: created.id).first)
        let job = try #require(try await system.client.jobs(workflow: workflow.id).first?.job_number)
        _ = try await system.client.cancel(slug, job: job)
        let gone = ContinuousClock.now + .seconds(60)
        while kill(pid, 0) == 0, ContinuousClock.now < gone {
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(kill(pid, 0) != 0, "the step's sleep \(pid) still runs")
    }
}
}
