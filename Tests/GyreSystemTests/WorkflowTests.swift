import Foundation
import GyreLocal
import Testing

/// End to end: workflow control — filters, approval, cancel, rerun,
/// pipeline parameters, auto-cancel, parallelism. Host runner where Docker is
/// not the point.
extension EndToEnd {
@Suite struct WorkflowTests {
    /// A host-runner job running `command`.
    func repoPath(_ name: String) throws -> String { "\(try fixture.runDirectory)/repos/acme/\(name).git" }

    func git(_ name: String, _ arguments: [String]) throws {
        try SystemFixture.shell(["git", "-C", try repoPath(name)] + arguments)
    }

    func jobNames(_ outcome: APIClient.Outcome) -> [String] {
        outcome.workflows.flatMap { $0.jobs.map(\.name) }
    }

    /// A directory on the host for host-runner jobs to leave marks in.
    func markerDirectory(_ name: String) throws -> String {
        let path = "\(try fixture.runDirectory)/marks-\(name)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func branchAndTagFiltersSelectTheJobs() async throws {
        let system = try fixture
        let slug = try await system.project("filters", config: """
            version: 2.1
            jobs:
              always:
            \(hostJob("echo always"))
              main-only:
            \(hostJob("echo main"))
              not-wip:
            \(hostJob("echo not-wip"))
              after-main-only:
            \(hostJob("echo after"))
              release:
            \(hostJob("echo release"))
            workflows:
              main:
                jobs:
                  - always
                  - main-only:
                      filters:
                        branches:
                          only: main
                  - not-wip:
                      filters:
                        branches:
                          ignore: /wip-.*/
                  - after-main-only:
                      requires: [main-only]
                  - release:
                      filters:
                        tags:
                          only: /^v[0-9.]+$/
                        branches:
                          ignore: /.*/
            """)
        try git("filters", ["branch", "wip-1"])
        try git("filters", ["tag", "v1.2"])

        let onMain = try await system.client.wait(for: try await system.client.trigger(slug, branch: "main").id)
        #expect(onMain.status == "success", "\(system.logs())")
        #expect(jobNames(onMain) == ["always", "main-only", "not-wip", "after-main-only"])

        let onWip = try await system.client.wait(for: try await system.client.trigger(slug, branch: "wip-1").id)
        #expect(onWip.status == "success")
        #expect(jobNames(onWip) == ["always"])

        let onTag = try await system.client.wait(for: try await system.client.trigger(slug, tag: "v1.2").id)
        #expect(onTag.status == "success")
        #expect(jobNames(onTag) == ["release"])
    }

    @Test func approvalHoldsTheWorkflowUntilApproved() async throws {
        let system = try fixture
        let slug = try await system.project("approval", config: approvalWorkflow(contexts: ["deploy-keys", "org-global"]))
        for name in ["deploy-keys", "org-global"] { try await system.context(name) }
        let pipeline = try await system.client.trigger(slug)
        let workflow = try #require(try await system.client.waitForWorkflows(pipeline: pipeline.id).first)
        let (held, jobs) = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in workflow.status == "on_hold" }
        #expect(held.status == "on_hold")
        #expect(jobs.map(\.status) == ["success", "on_hold", "blocked"])
        let hold = jobs[1]
        #expect(hold.type == "approval")
        let request = try #require(hold.approval_request_id)
        #expect(request == hold.id)

        // Wrong ids are 404; a build job is not an approval.
        let unknownWorkflow = try await system.client.send("POST", "api/v2/workflow/\(UUID())/approve/\(request)")
        #expect(unknownWorkflow.status == 404)
        let notApproval = try await system.client.send(
            "POST", "api/v2/workflow/\(workflow.id.uuidString.lowercased())/approve/\(jobs[0].id.uuidString.lowercased())")
        #expect(notApproval.status == 404)
        #expect(notApproval.body.contains("message"))

        let accepted = try await system.client.approve(workflow: workflow.id, request: request)
        #expect(accepted.message == "Accepted.")
        let (done, finalJobs) = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in
            ["success", "failed", "canceled"].contains(workflow.status)
        }
        #expect(done.status == "success", "\(system.logs())")
        #expect(finalJobs.map(\.status) == ["success", "success", "success"])
        // Approving again: the job is no longer on hold.
        let again = try await system.client.send(
            "POST", "api/v2/workflow/\(workflow.id.uuidString.lowercased())/approve/\(request.uuidString.lowercased())")
        #expect(again.status == 400)

        let deploy = try await system.client.job(slug, number: try #require(finalJobs[2].job_number))
        #expect(deploy.contexts.map(\.name) == ["deploy-keys", "org-global"])
        let output = try await system.client.steps(slug, job: try #require(finalJobs[2].job_number))
        #expect(output.last?.output == "deployed\n")
    }

    @Test func cancelingARunningWorkflowStopsItsJob() async throws {
        let system = try fixture
        let marks = try markerDirectory("cancel")
        let slug = try await system.project("cancel", config: """
            version: 2.1
            jobs:
              long:
            \(hostJob("echo $$ > \(marks)/pid && exec sleep 600"))
              after:
            \(hostJob("echo never"))
            workflows:
              main:
                jobs:
                  - long
                  - after:
                      requires: [long]
            """)
        let pipeline = try await system.client.trigger(slug)
        let workflow = try #require(try await system.client.waitForWorkflows(pipeline: pipeline.id).first)
        _ = try await system.client.waitForWorkflow(workflow.id) { _, jobs in
            jobs.first?.status == "running" && FileManager.default.fileExists(atPath: "\(marks)/pid")
        }
        let pidText = try await Self.eventually { try? String(contentsOfFile: "\(marks)/pid", encoding: .utf8) }
        let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(kill(pid, 0) == 0)

        // A workflow that is not finished cannot be rerun.
        let early = try await system.client.send("POST", "api/v2/workflow/\(workflow.id.uuidString.lowercased())/rerun",
                                                  body: [:])
        #expect(early.status == 400)
        #expect(early.body.contains("only a finished workflow"))

        let accepted = try await system.client.cancel(workflow: workflow.id)
        #expect(accepted.message == "Accepted.")
        let (canceled, jobs) = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in workflow.status == "canceled" }
        #expect(canceled.status == "canceled")
        #expect(jobs.map(\.status) == ["canceled", "canceled"])
        // The agent stops the job's process.
        _ = try await Self.eventually(timeout: .seconds(60)) { kill(pid, 0) != 0 ? true : nil }
        // The agent's late report does not bring the job back.
        try await Task.sleep(for: .seconds(1))
        let later = try await system.client.workflowJobs(workflow.id)
        #expect(later.map(\.status) == ["canceled", "canceled"])
    }

    @Test func cancelingADockerJobStopsItsContainer() async throws {
        let system = try fixture
        let slug = try await system.project("cancel-docker", config: """
            version: 2.1
            jobs:
              long:
                docker:
                  - image: \(system.jobImage)
                steps:
                  - run: sleep 600
              after:
            \(hostJob("echo never"))
            workflows:
              main:
                jobs:
                  - long
                  - after:
                      requires: [long]
            """)
        let pipeline = try await system.client.trigger(slug)
        let workflow = try #require(try await system.client.waitForWorkflows(pipeline: pipeline.id).first)
        let (_, jobs) = try await system.client.waitForWorkflow(workflow.id) { _, jobs in jobs.first?.status == "running" }
        let label = "gyre.job=\(jobs[0].id.uuidString.lowercased())"
        _ = try await Self.eventually {
            let ids = try? SystemFixture.shell(["docker", "ps", "-q", "--filter", "label=\(label)"])
            return ids?.isEmpty == false ? true : nil
        }
        let number = try #require(jobs[0].job_number)
        _ = try await system.client.cancel(slug, job: number)
        // The job is canceled, the job that requires it does not run, and the workflow is canceled.
        let (canceled, after) = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in workflow.status == "canceled" }
        #expect(canceled.status == "canceled")
        #expect(after.map(\.status) == ["canceled", "not_run"])
        _ = try await Self.eventually(timeout: .seconds(60)) {
            let ids = try? SystemFixture.shell(["docker", "ps", "-q", "--filter", "label=\(label)"])
            return ids?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true ? true : nil
        }
        // Canceling a finished job is refused.
        let again = try await system.client.send("POST", "api/v2/project/\(slug)/job/\(number)/cancel")
        #expect(again.status == 400)
    }

    @Test func rerunFromFailedCopiesTheSuccessfulJobs() async throws {
        let system = try fixture
        let marks = try markerDirectory("rerun")
        let slug = try await system.project("rerun", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob("echo build >> \(marks)/build-runs"))
              flaky:
            \(hostJob("if [ -f \(marks)/failed-once ]; then echo passed; else touch \(marks)/failed-once; exit 1; fi"))
              deploy:
            \(hostJob("echo deployed"))
            workflows:
              main:
                jobs:
                  - build
                  - flaky:
                      requires: [build]
                  - deploy:
                      requires: [flaky]
            """)
        let first = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(first.status == "failed", "\(system.logs())")
        let old = try #require(first.workflows.first)
        #expect(old.jobs.map(\.status) == ["success", "failed", "not_run"])

        let rerunId = try await system.client.rerun(workflow: old.workflow.id, fromFailed: true)
        #expect(rerunId != old.workflow.id)
        let (rerun, jobs) = try await system.client.waitForWorkflow(rerunId) { workflow, _ in
            ["success", "failed", "canceled"].contains(workflow.status)
        }
        #expect(rerun.status == "success", "\(system.logs())")
        #expect(rerun.name == old.workflow.name)
        #expect(jobs.map(\.name) == ["build", "flaky", "deploy"])
        #expect(jobs.map(\.status) == ["success", "success", "success"])
        // New rows, new numbers; build was copied, not run again.
        let oldNumbers = Set(old.jobs.compactMap(\.job_number))
        #expect(jobs.compactMap(\.job_number).allSatisfy { !oldNumbers.contains($0) })
        let buildRuns = try String(contentsOfFile: "\(marks)/build-runs", encoding: .utf8)
        #expect(buildRuns == "build\n")
        // The pipeline now lists both workflows.
        let workflows = try await system.client.workflows(pipeline: first.pipeline.id)
        #expect(workflows.map(\.id) == [old.workflow.id, rerunId])

        // Rerunning chosen jobs: those and their dependents run, the rest is copied.
        let deployId = try #require(jobs.last?.id)
        let partialId = try await system.client.rerun(workflow: rerunId, jobs: [deployId])
        let (partial, partialJobs) = try await system.client.waitForWorkflow(partialId) { workflow, _ in
            ["success", "failed", "canceled"].contains(workflow.status)
        }
        #expect(partial.status == "success")
        #expect(partialJobs.map(\.status) == ["success", "success", "success"])
        #expect(try String(contentsOfFile: "\(marks)/build-runs", encoding: .utf8) == "build\n")
        let deploySteps = try await system.client.steps(slug, job: try #require(partialJobs[2].job_number))
        #expect(deploySteps.last?.output == "deployed\n")
        let flakySteps = try await system.client.steps(slug, job: try #require(partialJobs[1].job_number))
        #expect(flakySteps.isEmpty)

        // Only a finished workflow can be rerun; from_failed needs a failure.
        let again = try await system.client.send("POST", "api/v2/workflow/\(rerunId.uuidString.lowercased())/rerun",
                                                  body: ["from_failed": true])
        #expect(again.status == 400)
        let unknown = try await system.client.send("POST", "api/v2/workflow/\(UUID())/rerun", body: [:])
        #expect(unknown.status == 404)
    }

    @Test func aRerunFromFailedRerunsOnlyTheFailedTests() async throws {
        let system = try fixture
        let marks = try markerDirectory("failed-tests")
        // Each "test" writes a JUnit report; tests/b.sh fails until it has failed once.
        let runOne = """
            #!/bin/sh
            echo "ran $1" >> \(marks)/ran
            result=""
            if [ "$1" = tests/b.sh ] && [ ! -f \(marks)/b-failed ]; then touch \(marks)/b-failed; result='<failure message="boom"/>'; fi
            mkdir -p results
            echo "<testsuite><testcase classname=\\"suite\\" name=\\"$1\\" file=\\"$1\\">$result</testcase></testsuite>" > "results/$(basename $1).xml"
            [ -z "$result" ]
            """
        let slug = try await system.project("rerun-tests", config: """
            version: 2.1
            jobs:
              test:
                machine: true
                resource_class: gyre/host
                steps:
                  - checkout
                  - run: printf 'tests/a.sh\\ntests/b.sh\\ntests/c.sh\\n' | circleci tests run --command='xargs -n1 sh run-one.sh' --split-by=timings
                  - store_test_results: {path: results}
            workflows:
              main:
                jobs: [test]
            """, files: ["run-one.sh": runOne])
        let first = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(first.status == "failed", "\(system.logs())")
        let old = try #require(first.workflows.first)
        #expect(try String(contentsOfFile: "\(marks)/ran", encoding: .utf8) == "ran tests/a.sh\nran tests/b.sh\nran tests/c.sh\n")

        let rerunId = try await system.client.rerun(workflow: old.workflow.id, fromFailed: true)
        let (rerun, jobs) = try await system.client.waitForWorkflow(rerunId) { workflow, _ in
            ["success", "failed", "canceled"].contains(workflow.status)
        }
        #expect(rerun.status == "success", "\(system.logs())")
        // Only the failed test ran again, and the log says so.
        #expect(try String(contentsOfFile: "\(marks)/ran", encoding: .utf8)
                    == "ran tests/a.sh\nran tests/b.sh\nran tests/c.sh\nran tests/b.sh\n")
        let steps = try await system.client.steps(slug, job: try #require(jobs.first?.job_number))
        let output = steps.map(\.output).joined()
        #expect(output.contains("Rerunning only the tests that failed in the previous run: 1 of 3"), "\(output)")
    }

    @Test func pipelineParametersReachTheSteps() async throws {
        let system = try fixture
        let slug = try await system.project("parameters", config: """
            version: 2.1
            parameters:
              greeting:
                type: string
                default: hello
              count:
                type: integer
                default: 1
              deploy:
                type: boolean
                default: false
            jobs:
              show:
            \(hostJob("echo \"<< pipeline.parameters.greeting >> x<< pipeline.parameters.count >> deploy=<< pipeline.parameters.deploy >> source=<< pipeline.trigger_source >> branch=<< pipeline.git.branch >>\""))
            workflows:
              main:
                jobs: [show]
            """)
        let created = try await system.client.trigger(slug, parameters: ["greeting": "bonjour", "count": 3, "deploy": true])
        let outcome = try await system.client.wait(for: created.id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors.map(\.message)) \(system.logs())")
        let job = try #require(outcome.workflows.first?.jobs.first)
        let steps = try await system.client.steps(slug, job: try #require(job.job_number))
        #expect(steps.last?.output == "bonjour x3 deploy=true source=api branch=main\n")

        // Unknown parameters are config errors; non-scalar values are refused up front.
        let unknown = try await system.client.wait(for: try await system.client.trigger(slug, parameters: ["nope": 1]).id)
        #expect(unknown.pipeline.state == "errored")
        #expect(unknown.pipeline.errors.contains { $0.message.contains("nope") })
        let nested = try await system.client.send("POST", "api/v2/project/\(slug)/pipeline",
                                                  body: ["parameters": ["greeting": ["a", "b"]]])
        #expect(nested.status == 400)
        let notObject = try await system.client.send("POST", "api/v2/project/\(slug)/pipeline", body: ["parameters": 5])
        #expect(notObject.status == 400)
    }

    @Test func autoCancelCancelsOlderWorkflowsOnTheSameBranchOnlyWhenEnabled() async throws {
        let system = try fixture
        let slug = try await system.project("autocancel", config: """
            version: 2.1
            jobs:
              long:
            \(hostJob("sleep 600"))
            workflows:
              main:
                jobs: [long]
            """)
        try git("autocancel", ["branch", "feature"])
        #expect(try await system.client.settings(slug).advanced.autocancel_builds == false)

        // Off: an older workflow keeps running.
        let first = try await system.client.trigger(slug, branch: "feature")
        let firstWorkflow = try #require(try await system.client.waitForWorkflows(pipeline: first.id).first)
        let second = try await system.client.trigger(slug, branch: "feature")
        let secondWorkflow = try #require(try await system.client.waitForWorkflows(pipeline: second.id).first)
        #expect(try await system.client.workflow(firstWorkflow.id).status == "running")

        // On: a new pipeline on the branch cancels the older unfinished workflows.
        #expect(try await system.client.setAutoCancel(slug, true).advanced.autocancel_builds == true)
        #expect(try await system.client.settings(slug).advanced.autocancel_builds == true)
        let third = try await system.client.trigger(slug, branch: "feature")
        let thirdWorkflow = try #require(try await system.client.waitForWorkflows(pipeline: third.id).first)
        for old in [firstWorkflow, secondWorkflow] {
            let (workflow, _) = try await system.client.waitForWorkflow(old.id) { workflow, _ in workflow.status == "canceled" }
            #expect(workflow.status == "canceled")
        }
        // Not on the default branch.
        let onMain = try await system.client.trigger(slug, branch: "main")
        let mainWorkflow = try #require(try await system.client.waitForWorkflows(pipeline: onMain.id).first)
        let onMainAgain = try await system.client.trigger(slug, branch: "main")
        _ = try await system.client.waitForWorkflows(pipeline: onMainAgain.id)
        #expect(try await system.client.workflow(mainWorkflow.id).status != "canceled")
        #expect(try await system.client.workflow(thirdWorkflow.id).status != "canceled")

        let bad = try await system.client.send("PATCH", "api/v2/project/\(slug)/settings",
                                               body: ["advanced": ["autocancel_builds": "yes"]])
        #expect(bad.status == 400)
        for workflow in [thirdWorkflow, mainWorkflow] { _ = try await system.client.cancel(workflow: workflow.id) }
        let rest = try await system.client.workflows(pipeline: onMainAgain.id)
        for workflow in rest { _ = try await system.client.cancel(workflow: workflow.id) }
    }

    @Test func parallelJobRunsOncePerNodeAndSucceedsAfterAllRuns() async throws {
        let system = try fixture
        let marks = try markerDirectory("parallel")
        let slug = try await system.project("parallel", config: """
            version: 2.1
            jobs:
              split:
            \(hostJob("echo node=$CIRCLE_NODE_INDEX/$CIRCLE_NODE_TOTAL && touch \(marks)/node-$CIRCLE_NODE_INDEX && while [ ! -f \(marks)/release-$CIRCLE_NODE_INDEX ]; do sleep 0.2; done", parallelism: 3))
              after:
            \(hostJob("echo after"))
            workflows:
              main:
                jobs:
                  - split
                  - after:
                      requires: [split]
            """)
        let pipeline = try await system.client.trigger(slug)
        let workflow = try #require(try await system.client.waitForWorkflows(pipeline: pipeline.id).first)
        _ = try await Self.eventually(timeout: .seconds(90)) {
            (0..<3).allSatisfy { FileManager.default.fileExists(atPath: "\(marks)/node-\($0)") } ? true : nil
        }
        // Two runs finish: the job is still running and its dependent waits.
        for node in 0..<2 { FileManager.default.createFile(atPath: "\(marks)/release-\(node)", contents: nil) }
        let (_, midway) = try await system.client.waitForWorkflow(workflow.id) { _, _ in true }
        let number = try #require(midway[0].job_number)
        _ = try await Self.eventually(timeout: .seconds(60)) { () async -> Bool? in
            let detail = try? await system.client.job(slug, number: number)
            return detail.map { $0.parallel_runs.filter { $0.status == "success" }.count == 2 } == true ? true : nil
        }
        let running = try await system.client.workflowJobs(workflow.id)
        #expect(running.map(\.status) == ["running", "blocked"])

        FileManager.default.createFile(atPath: "\(marks)/release-2", contents: nil)
        let (done, jobs) = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in
            ["success", "failed", "canceled"].contains(workflow.status)
        }
        #expect(done.status == "success", "\(system.logs())")
        #expect(jobs.map(\.status) == ["success", "success"])
        let detail = try await system.client.job(slug, number: number)
        #expect(detail.parallelism == 3)
        #expect(detail.parallel_runs.map(\.index) == [0, 1, 2])
        #expect(detail.parallel_runs.allSatisfy { $0.status == "success" })
        let steps = try await system.client.nodeSteps(slug, job: number)
        let runSteps = steps.filter { $0.output.hasPrefix("node=") }
        #expect(runSteps.map(\.node_index) == [0, 1, 2])
        #expect(runSteps.map { $0.output.split(separator: "\n").first.map(String.init) ?? "" }
                == ["node=0/3", "node=1/3", "node=2/3"])
        let node2 = try await system.client.stepOutput(slug, job: number, step: try #require(runSteps.last?.index), node: 2)
        #expect(node2.hasPrefix("node=2/3"))
        // The dependent started only after the last run finished.
        let splitStopped = try #require(jobs[0].stopped_at)
        let afterStarted = try #require(jobs[1].started_at)
        #expect(afterStarted >= splitStopped.addingTimeInterval(-0.001))
    }

    @Test func deployRunsOnTheFirstNodeOnly() async throws {
        let system = try fixture
        let slug = try await system.project("deploy-node", config: """
            version: 2.1
            jobs:
              ship:
                machine: true
                resource_class: gyre/host
                parallelism: 2
                steps:
                  - run: echo "tested on $CIRCLE_NODE_INDEX"
                  - deploy: echo "deploying from $CIRCLE_NODE_INDEX"
            workflows:
              main:
                jobs: [ship]
            """)
        let pipeline = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: pipeline.id)
        #expect(outcome.status == "success", "\(system.logs())")
        let number = try #require(outcome.workflows.first?.jobs.first?.job_number)
        let steps = try await system.client.nodeSteps(slug, job: number)
        #expect(steps.filter { $0.output.hasPrefix("tested on") }.map(\.node_index) == [0, 1])
        let deploys = steps.filter { $0.output.contains("deploying from") }
        #expect(deploys.map(\.node_index) == [0])
        #expect(deploys.first?.output == "deploying from 0\n")
    }

    /// Polls `probe` until it gives a value.
    static func eventually<T: Sendable>(timeout: Duration = .seconds(60),
                                        _ probe: @Sendable () async throws -> T?) async throws -> T {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let value = try await probe() { return value }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LocalSystemError("condition not met within \(timeout)")
    }
}
}
