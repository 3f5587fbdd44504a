import Foundation
import GyreLocal
import Testing

/// End to end: trigger through the API, run on real Docker (and the host
/// runner), read status and stored logs back through the API.
extension EndToEnd {
@Suite struct PipelineTests {
    @Test func twoJobWorkflowPassesAndItsOutputIsStored() async throws {
        let system = try fixture
        let slug = try await system.project("two-jobs", config: """
            version: 2.1
            jobs:
              build:
            \(dockerJob("""
                  - checkout
                  - run: echo "built $CIRCLE_PROJECT_REPONAME on $CIRCLE_BRANCH" && cat README.md
                  - run:
                      name: Environment
                      command: echo "job=$CIRCLE_JOB ci=$CI greeting=$GREETING"
                      environment:
                        GREETING: hello
            """))
              test:
            \(dockerJob("""
                  - run: echo "tested after build"
            """))
            workflows:
              main:
                jobs:
                  - build
                  - test:
                      requires: [build]
            """, files: ["README.md": "readme-contents-42\n"])
        let created = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: created.id)
        #expect(outcome.pipeline.state == "created")
        #expect(outcome.status == "success", "\(system.logs())")
        let jobs = try #require(outcome.workflows.first?.jobs)
        #expect(jobs.map(\.name) == ["build", "test"])
        #expect(jobs.map(\.status) == ["success", "success"])
        #expect(jobs[1].dependencies == [jobs[0].id])

        let build = try await system.client.steps(slug, job: try #require(jobs[0].job_number))
        #expect(build.map(\.name) == ["Spin up environment", "Checkout code",
                                      #"echo "built $CIRCLE_PROJECT_REPONAME on $CIRCLE_BRANCH" && cat README.md"#,
                                      "Environment"])
        #expect(build.allSatisfy { $0.status == "success" && $0.exit_code == 0 })
        #expect(build[2].output.contains("built two-jobs on main"))
        #expect(build[2].output.contains("readme-contents-42"))
        #expect(build[3].output.contains("job=build ci=true greeting=hello"))
        let test = try await system.client.steps(slug, job: try #require(jobs[1].job_number))
        #expect(test.last?.output == "tested after build\n")
        // The started-at of the dependent job is after the first one stopped.
        let buildStopped = try #require(jobs[0].stopped_at)
        let testStarted = try #require(jobs[1].started_at)
        #expect(testStarted >= buildStopped.addingTimeInterval(-0.001))
    }

    @Test func failingStepFailsTheJobAndItsDependentDoesNotRun() async throws {
        let system = try fixture
        let slug = try await system.project("failing", config: """
            version: 2.1
            jobs:
              build:
            \(dockerJob("""
                  - run: echo before-failure && exit 3
                  - run: echo never-printed
                  - run:
                      name: Report
                      command: echo cleanup-ran
                      when: on_fail
            """))
              deploy:
            \(dockerJob("""
                  - run: echo should-not-run
            """))
            workflows:
              main:
                jobs:
                  - build
                  - deploy:
                      requires: [build]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(outcome.status == "failed")
        let jobs = try #require(outcome.workflows.first?.jobs)
        #expect(jobs.map(\.status) == ["failed", "not_run"])
        let steps = try await system.client.steps(slug, job: try #require(jobs[0].job_number))
        #expect(steps.map(\.status) == ["success", "failed", "success"])
        #expect(steps[1].exit_code == 3)
        #expect(steps[1].output.contains("before-failure"))
        #expect(!steps.contains { $0.output.contains("never-printed") })
        #expect(steps[2].output == "cleanup-ran\n")
    }

    @Test func malformedConfigGivesAnErroredPipelineWithAReadableMessage() async throws {
        let system = try fixture
        let slug = try await system.project("malformed", config: """
            version: 2.1
            jobs:
              build:
                docker:
                  - image: gyre/base:bookworm
                steps:
                  - run: echo fine
            workflows:
              main:
                jobs:
                  - build
                  - test:
                      requires: [build]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(outcome.pipeline.state == "errored")
        #expect(outcome.workflows.isEmpty)
        let messages = outcome.pipeline.errors.map(\.message).joined(separator: "\n")
        #expect(messages.contains("workflows.main.jobs[1]"), "\(messages)")
        #expect(messages.contains("test"), "\(messages)")

        let broken = try await system.project("not-yaml", config: "version: 2.1\njobs: [unclosed\n")
        let second = try await system.client.wait(for: try await system.client.trigger(broken).id)
        #expect(second.pipeline.state == "errored")
        #expect(!second.pipeline.errors.isEmpty)
    }

    @Test func missingBranchAndMissingConfigAreErrors() async throws {
        let system = try fixture
        let slug = try await system.project("branches", config: "version: 2.1\n")
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug, branch: "no-such-branch").id)
        #expect(outcome.pipeline.state == "errored")
        #expect(outcome.pipeline.errors.first?.message.contains("no branch \"no-such-branch\"") == true)
    }

    @Test func hostRunnerJobRunsOnTheAgentHost() async throws {
        let system = try fixture
        let slug = try await system.project("runner", config: """
            version: 2.1
            jobs:
              native:
                machine: true
                resource_class: gyre/host
                working_directory: ~/work
                steps:
                  - checkout
                  - run: test -f README.md && echo "runner pwd=$(basename $PWD) node=$CIRCLE_NODE_INDEX/$CIRCLE_NODE_TOTAL"
            workflows:
              main:
                jobs: [native]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(outcome.status == "success", "\(system.logs())")
        let job = try #require(outcome.workflows.first?.jobs.first)
        let steps = try await system.client.steps(slug, job: try #require(job.job_number))
        #expect(steps.last?.output == "runner pwd=work node=0/1\n")
    }

    @Test func jobWithAnImageThatIsNotLocalFailsSayingSo() async throws {
        let system = try fixture
        let slug = try await system.project("no-image", config: """
            version: 2.1
            jobs:
              build:
                docker:
                  - image: gyre/not-built-here:1.0
                steps:
                  - run: echo unreachable
            workflows:
              main:
                jobs: [build]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(outcome.status == "failed")
        let job = try #require(outcome.workflows.first?.jobs.first)
        let steps = try await system.client.steps(slug, job: try #require(job.job_number))
        #expect(steps.count == 1)
        #expect(steps[0].output.contains("gyre/not-built-here:1.0"))
        #expect(steps[0].output.contains("not available"))
    }
}
}
