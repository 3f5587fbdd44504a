import Foundation
import GyreLocal
import Testing

/// Leases and fencing end to end: a job never runs twice at once whatever
/// restarts, a job whose agent died keeps its place in line and leaves
/// nothing behind, and a job that waits says why.
extension EndToEnd {
@Suite struct LeaseTests {
    typealias ExtraAgent = LifecycleTests.ExtraAgent

    static func config(runnerClass: String, jobs: [String], lines: Int, pause: String) -> String {
        let definitions = jobs.map { name in
            """
              \(name):
                machine: true
                resource_class: \(runnerClass)
                steps:
                  - run: for i in $(seq 1 \(lines)); do echo "\(name) line $i"; sleep \(pause); done
            """
        }.joined(separator: "\n")
        return """
            version: 2.1
            jobs:
            \(definitions)
            workflows:
              main:
                jobs: [\(jobs.joined(separator: ", "))]
            """
    }

    static func expectedOutput(_ name: String, lines: Int) -> String {
        (1...lines).map { "\(name) line \($0)\n" }.joined()
    }

    /// Polls until `condition` holds (or the deadline passes); returns whether it held.
    static func eventually(_ timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test func withTheSchedulerDownLongerThanTheAgentTimeoutEveryJobRunsOnce() async throws {
        let system = try fixture
        let runnerClass = "gyre/\(LifecycleTests.unique("lease"))"
        let agent = try ExtraAgent(system: system, name: LifecycleTests.unique("lease-agent"), environment: [
            "GYRE_AGENT_DOCKER": "false", "GYRE_AGENT_RUNNER_CLASSES": runnerClass,
        ])
        defer { agent.stop() }
        let lines = 24
        let slug = try await system.project(LifecycleTests.unique("lease"), config: Self.config(
            runnerClass: runnerClass, jobs: ["deploy_a", "deploy_b"], lines: lines, pause: "0.5"))
        let id = try await system.client.trigger(slug).id
        let bothRunning = try await Self.eventually {
            let rows = try system.sql("SELECT count(*) FROM jobs WHERE project_slug = '\(slug)' AND status = 'running'")
            return rows.first == "2"
        }
        #expect(bothRunning, "\(system.logs())")
        // The agent timeout is 5 s in the suite: stay down for longer, while the jobs run on.
        #expect(await system.system.signal("picard-scheduler", SIGKILL) == .signalled(SIGKILL))
        try await Task.sleep(for: .seconds(8))
        try system.system.start("picard-scheduler")
        let outcome = try await system.client.wait(for: id, timeout: .seconds(120))
        #expect(outcome.status == "success", "\(system.logs())")
        // One attempt per job, and each line of output once.
        let attempts = try system.sql("SELECT name || '=' || attempt FROM jobs WHERE project_slug = '\(slug)' ORDER BY name")
        #expect(attempts == ["deploy_a=1", "deploy_b=1"], "\(system.system.logTail("picard-scheduler"))")
        let stepAttempts = try system.sql("""
            SELECT DISTINCT s.attempt FROM steps s JOIN jobs j ON j.id = s.job_id WHERE j.project_slug = '\(slug)'
            """)
        #expect(stepAttempts == ["1"])
        for job in outcome.workflows.first?.jobs ?? [] {
            let steps = try await system.client.steps(slug, job: try #require(job.job_number))
            #expect(steps.last?.output == Self.expectedOutput(job.name, lines: lines))
        }
        #expect(!agent.log.contains("supersedes"), "\(agent.log)")
    }

    @Test func aJobWhoseAgentDiedKeepsItsPlaceInLineAndLeavesNothingBehind() async throws {
        let system = try fixture
        let runnerClass = "gyre/\(LifecycleTests.unique("line"))"
        let name = LifecycleTests.unique("line-agent")
        let environment = ["GYRE_AGENT_DOCKER": "false", "GYRE_AGENT_RUNNER_CLASSES": runnerClass,
                           "GYRE_AGENT_CAPACITY": "1", "GYRE_AGENT_REAP_SECONDS": "1"]
        var agent = try ExtraAgent(system: system, name: name, environment: environment)
        let slug = try await system.project(LifecycleTests.unique("line"), config: Self.config(
            runnerClass: runnerClass, jobs: ["work"], lines: 8, pause: "0.4"))
        let first = try await system.client.trigger(slug).id
        let running = try await Self.eventually {
            try system.sql("SELECT count(*) FROM jobs WHERE project_slug = '\(slug)' AND status = 'running'").first == "1"
        }
        #expect(running, "\(agent.log)")
        let firstJob = try #require(try system.sql("""
            SELECT id FROM jobs WHERE project_slug = '\(slug)' AND status = 'running'
            """).first)
        // Three more pipelines queue behind it (the agent takes one job at a time).
        var later: [UUID] = []
        for _ in 0..<3 { later.append(try await system.client.trigger(slug).id) }
        let queued = try await Self.eventually {
            try system.sql("SELECT count(*) FROM jobs WHERE project_slug = '\(slug)' AND status = 'queued'").first == "3"
        }
        #expect(queued)
        // The agent dies; once the scheduler has queued its job again, the same builder comes back.
        kill(agent.pid, SIGKILL)
        _ = waitpid(agent.pid, nil, 0)
        let requeued = try await Self.eventually(.seconds(30)) {
            try system.sql("SELECT (status = 'queued' AND agent_id IS NULL) FROM jobs WHERE id = '\(firstJob)'").first == "t"
        }
        #expect(requeued, "\(system.system.logTail("picard-scheduler"))")
        agent = try ExtraAgent(system: system, name: name, environment: environment)
        defer { agent.stop() }
        for id in [first] + later {
            let outcome = try await system.client.wait(for: id, timeout: .seconds(120))
            #expect(outcome.status == "success", "\(agent.log)\n\(system.system.logTail("picard-scheduler"))")
        }
        // The requeued job ran (attempt 2) before every job queued after it.
        let order = try system.sql("""
            SELECT id || '=' || attempt FROM jobs WHERE project_slug = '\(slug)' ORDER BY started_at
            """)
        #expect(order.first == "\(firstJob)=2", "\(order)")
        // The lost attempt's step was closed, saying why.
        let closed = try system.sql("""
            SELECT status || ': ' || COALESCE(message, '') FROM steps WHERE job_id = '\(firstJob)' AND attempt = 1 AND idx > 0
            """)
        #expect(closed.count == 1 && closed.allSatisfy { $0.hasPrefix("canceled: attempt 1 ended: its agent stopped heartbeating") },
                "\(closed)")
        let message = try system.sql("SELECT message FROM jobs WHERE id = '\(firstJob)'")
        #expect(message.first?.contains("queued again") == true || message.isEmpty, "\(message)")
        // The killed agent's job directory was removed by its successor.
        let leftovers = try await Self.eventually(.seconds(10)) {
            let found = FileManager.default.enumerator(atPath: agent.workDirectory)?.allObjects as? [String] ?? []
            return !found.contains { $0.hasSuffix("\(firstJob)-1") }
        }
        #expect(leftovers, "\(FileManager.default.enumerator(atPath: agent.workDirectory)?.allObjects ?? [])")
    }

    @Test func aJobNoAgentCanTakeWaitsSaysWhyAndFailsAfterTheTimeoutWhileItsSiblingsRun() async throws {
        let system = try fixture
        // The suite maps windows.medium to gyre/host and fails jobs after 15 s without an agent.
        let slug = try await system.project(LifecycleTests.unique("mac"), config: """
            version: 2.1
            jobs:
              mac:
                macos: {xcode: 15.4.0}
                steps:
                  - run: echo never
              win:
                windows: {name: win/default}
                steps:
                  - run: echo on-a-mapped-runner
              lint:
            \(hostJob("echo lint"))
              release:
            \(hostJob("echo never"))
            workflows:
              main:
                jobs:
                  - mac
                  - win
                  - lint
                  - release:
                      requires: [mac]
            """)
        let id = try await system.client.trigger(slug).id
        // The siblings run while the macOS job waits, saying why.
        var numbers: [String: Int] = [:]
        let siblingsDone = try await Self.eventually(.seconds(30)) {
            guard let workflow = try await system.client.workflows(pipeline: id).first else { return false }
            let jobs = try await system.client.jobs(workflow: workflow.id)
            for job in jobs { numbers[job.name] = job.job_number }
            return jobs.filter { ["win", "lint"].contains($0.name) }.allSatisfy { $0.status == "success" } && jobs.count == 4
        }
        #expect(siblingsDone, "\(system.logs())")
        let waiting = try await system.client.job(slug, number: try #require(numbers["mac"]))
        #expect(waiting.status == "queued")
        #expect(waiting.waiting?.reason == "no_agent")
        #expect(waiting.waiting?.message == "waiting for an agent with resource class macos.m4pro.medium: none is registered")
        let win = try await system.client.steps(slug, job: try #require(numbers["win"]))
        #expect(win.first?.output.contains("Resource class windows.medium runs on self-hosted runner class gyre/host") == true,
                "\(win.first?.output ?? "")")
        #expect(win.last?.output == "on-a-mapped-runner\n")
        // After the timeout it fails with the reason; what requires it does not run.
        let outcome = try await system.client.wait(for: id, timeout: .seconds(60))
        #expect(outcome.status == "failed")
        let statuses = Dictionary(uniqueKeysWithValues: (outcome.workflows.first?.jobs ?? []).map { ($0.name, $0.status) })
        #expect(statuses == ["mac": "failed", "win": "success", "lint": "success", "release": "not_run"], "\(statuses)")
        let failed = try system.sql("SELECT message FROM jobs WHERE project_slug = '\(slug)' AND name = 'mac'")
        #expect(failed.first?.hasPrefix("no build agent offers resource class macos.m4pro.medium (waited more than 15 s") == true,
                "\(failed)")
    }

    @Test func aWaitingJobSaysWhy() async throws {
        let system = try fixture
        let nobody = "gyre/\(LifecycleTests.unique("nobody"))"
        let slug = try await system.project(LifecycleTests.unique("waits"), config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: \(nobody)
                steps:
                  - run: echo never
              test:
            \(hostJob("echo never"))
            workflows:
              main:
                jobs:
                  - build
                  - hold:
                      type: approval
                  - test:
                      requires: [build]
            """)
        let id = try await system.client.trigger(slug).id
        let workflows = try await system.client.waitForWorkflows(pipeline: id, timeout: .seconds(30))
        let workflow = try #require(workflows.first)
        var numbers: [String: Int] = [:]
        let listed = try await Self.eventually(.seconds(30)) {
            for job in try await system.client.jobs(workflow: workflow.id) { numbers[job.name] = job.job_number }
            return numbers["build"] != nil && numbers["test"] != nil
        }
        #expect(listed)
        let build = try await system.client.job(slug, number: try #require(numbers["build"]))
        #expect(build.status == "queued")
        #expect(build.waiting?.reason == "no_agent")
        #expect(build.waiting?.message == "waiting for an agent with resource class \(nobody): none is registered")
        let test = try await system.client.job(slug, number: try #require(numbers["test"]))
        #expect(test.status == "blocked")
        #expect(test.waiting?.message == "waiting for upstream jobs: build")
        let hold = try await system.client.workflowJobs(workflow.id).first { $0.name == "hold" }
        #expect(hold?.status == "on_hold")
        _ = try await system.client.cancel(workflow: workflow.id)
        let canceled = try await system.client.job(slug, number: try #require(numbers["build"]))
        #expect(canceled.status == "canceled")
        #expect(canceled.waiting == nil)
    }
}
}
