import Foundation
import GyreLocal
import Testing

/// End to end: `requires` entries naming the statuses a job waits for
/// (`- build: failed`), and pipelines whose workflows are all ruled out.
/// Host runner: Docker is not the point.
extension EndToEnd {
@Suite struct RequiresStatusTests {
    @Test func aJobRequiringFailedRunsAfterItsRequirementFails() async throws {
        let system = try fixture
        let slug = try await system.project("requires-status", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob("echo building && exit 4"))
              notify:
            \(hostJob("echo notified-of-failure"))
              deploy:
            \(hostJob("echo should-not-deploy"))
              report:
            \(hostJob("echo report-either-way"))
              celebrate:
            \(hostJob("echo should-not-celebrate"))
            workflows:
              main:
                jobs:
                  - build
                  - notify:
                      requires:
                        - build: failed
                  - deploy:
                      requires: [build]
                  - report:
                      requires:
                        - build: [success, failed]
                  - celebrate:
                      requires:
                        - build: success
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id,
                                                   timeout: .seconds(300))
        #expect(outcome.pipeline.state == "created", "\(outcome.pipeline.errors)")
        let jobs = try #require(outcome.workflows.first?.jobs)
        let status = Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0.status) })
        #expect(status == ["build": "failed", "notify": "success", "deploy": "not_run", "report": "success",
                           "celebrate": "not_run"], "\(system.logs())")
        // A failed job fails the workflow, even with the jobs that handled it succeeding.
        #expect(outcome.workflows.first?.workflow.status == "failed")
        let notify = try #require(jobs.first { $0.name == "notify" })
        let steps = try await system.client.steps(slug, job: try #require(notify.job_number))
        #expect(steps.last?.output.contains("notified-of-failure") == true, "\(steps.map(\.output))")
        // It started only after build had stopped.
        let build = try #require(jobs.first { $0.name == "build" })
        let buildStopped = try #require(build.stopped_at)
        let notifyStarted = try #require(notify.started_at)
        #expect(notifyStarted >= buildStopped.addingTimeInterval(-0.001))

        // A rerun keeps the statuses each requirement accepts.
        let workflow = try #require(outcome.workflows.first?.workflow)
        let rerun = try await system.client.rerun(workflow: workflow.id)
        let (rerunWorkflow, rerunJobs) = try await system.client.waitForWorkflow(rerun, timeout: .seconds(300)) { workflow, _ in
            ["success", "failed", "error", "canceled"].contains(workflow.status)
        }
        #expect(rerunWorkflow.status == "failed")
        let rerunStatus = Dictionary(uniqueKeysWithValues: rerunJobs.map { ($0.name, $0.status) })
        #expect(rerunStatus == ["build": "failed", "notify": "success", "deploy": "not_run", "report": "success",
                                "celebrate": "not_run"], "\(system.logs())")
    }

    @Test func aJobRequiringFailedIsNotRunWhenItsRequirementSucceeds() async throws {
        let system = try fixture
        let slug = try await system.project("requires-status-ok", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob("echo fine"))
              notify:
            \(hostJob("echo should-not-notify"))
            workflows:
              main:
                jobs:
                  - build
                  - notify:
                      requires: [{build: failed}]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id,
                                                   timeout: .seconds(300))
        let jobs = try #require(outcome.workflows.first?.jobs)
        #expect(jobs.map(\.status) == ["success", "not_run"], "\(system.logs())")
    }

    /// The dispatcher compiles with GYRE_ORB_DIR (the fixture points it at `<run>/orbs`).
    @Test func theDispatcherReadsImportedOrbs() async throws {
        let system = try fixture
        let directory = "\(system.runDirectory)/orbs/acme"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try """
            version: 2.1
            commands:
              greet:
                parameters: {who: {type: string}}
                steps: [{run: "echo hello-<< parameters.who >>-from-orb"}]
            jobs:
              hello:
                machine: true
                resource_class: gyre/host
                steps: [{greet: {who: imported}}]
            """.write(toFile: "\(directory)/greeter@1.2.3.yml", atomically: true, encoding: .utf8)
        let slug = try await system.project("imported-orb", config: """
            version: 2.1
            orbs:
              greeter: acme/greeter@1.2.3
              missing: acme/not-imported@0.0.1
            workflows:
              main:
                jobs: [greeter/hello]
            """)
        // One orb is not imported: the pipeline errors naming it, not the one that is.
        let errored = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(errored.pipeline.state == "errored")
        let messages = errored.pipeline.errors.map(\.message)
        #expect(messages.count == 1 && messages.first?.contains("orbs.missing: orb acme/not-imported@0.0.1 is not "
            + "available offline") == true, "\(messages)")

        let fixed = try await system.project("imported-orb-ok", config: """
            version: 2.1
            orbs:
              greeter: acme/greeter@1.2.3
            workflows:
              main:
                jobs: [greeter/hello]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(fixed).id,
                                                   timeout: .seconds(300))
        #expect(outcome.status == "success", "\(outcome.pipeline.errors) \(system.logs())")
        let job = try #require(outcome.workflows.first?.jobs.first)
        let steps = try await system.client.steps(fixed, job: try #require(job.job_number))
        #expect(steps.contains { $0.output.contains("hello-imported-from-orb") }, "\(steps.map(\.output))")
    }

    @Test func aPipelineWhoseWorkflowsAreAllRuledOutIsCreatedWithNoWorkflows() async throws {
        let system = try fixture
        let slug = try await system.project("nothing-to-run", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob("echo should-not-run"))
            workflows:
              release-only:
                when:
                  equal: [release, << pipeline.git.branch >>]
                jobs: [build]
              filtered:
                jobs:
                  - build:
                      filters: {branches: {only: release}}
            """)
        let created = try await system.client.trigger(slug)
        let workflows = try await system.client.waitForWorkflows(pipeline: created.id)
        #expect(workflows.isEmpty)
        let pipeline = try await system.client.pipeline(created.id)
        #expect(pipeline.state == "created")
        #expect(pipeline.errors.isEmpty)
        // Waiting for such a pipeline ends at once instead of running out of time.
        let outcome = try await system.client.wait(for: created.id, timeout: .seconds(60))
        #expect(outcome.workflows.isEmpty)
    }
}
}
