import Foundation
import GyreConfig
import GyreModel
import Testing

/// Keys of CircleCI's schema that real configs use and that once were refused.
@Suite struct SchemaFeatureTests {
    @Test func noOpAndApprovalJobsMayBeDeclaredInTheJobDefinition() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps: [checkout]
              gate:
                type: no-op
              hold:
                type: approval
                steps: [checkout]   # ignored, as on CircleCI
            workflows:
              main:
                jobs:
                  - build
                  - gate: {requires: [build]}
                  - hold: {requires: [gate]}
                  - marker: {type: no-op}
            """))
        let jobs = try #require(plan.workflows.first?.jobs)
        #expect(jobs.map(\.type) == [.build, .noOp, .approval, .noOp])
        #expect(jobs.map { $0.job == nil } == [false, true, true, true])
        #expect(jobs[1].requires == ["build"])
    }

    @Test func serialGroupIsCompiledWithPipelineValuesAndOverrideWithIsAccepted() throws {
        let values = PipelineValues(id: UUID(), number: 7, projectGitURL: "https://example.com/acme/app", gitBranch: "main",
                                    gitTag: nil, gitRevision: "abc")
        let plan = try ConfigCompiler().compile(yaml: """
            version: 2.1
            jobs:
              deploy:
                docker: [{image: alpine}]
                steps: [checkout]
            workflows:
              main:
                jobs:
                  - deploy:
                      serial-group: << pipeline.git.branch >>/deploy
                      override-with: local/deploy
            """, parameters: [:], pipeline: values)
        #expect(plan.workflows.first?.jobs.first?.serialGroup == "main/deploy")
        let errors = compileErrors("""
            version: 2.1
            jobs:
              deploy: {docker: [{image: alpine}], steps: [checkout]}
            workflows:
              main: {jobs: [{deploy: {serial-group: ""}}]}
            """)
        #expect(errors.contains { $0.path.hasSuffix("serial-group") }, "\(errors.summary)")
    }

    @Test func jobTypesThisServerCannotHonourAreReported() {
        let unsupported = compileErrors("""
            version: 2.1
            jobs:
              deploy: {type: release, plan_name: p}
            workflows:
              main: {jobs: [deploy]}
            """)
        #expect(unsupported.contains { $0.code == .unsupported && $0.path == "jobs.deploy.type" }, "\(unsupported.summary)")
        let unknown = compileErrors("""
            version: 2.1
            jobs:
              x: {type: sometimes, docker: [{image: alpine}], steps: [checkout]}
            workflows:
              main: {jobs: [x]}
            """)
        #expect(unknown.contains { $0.path == "jobs.x.type" && $0.message.contains("unknown job type") }, "\(unknown.summary)")
    }

    @Test func whenWorksOnEveryBuiltInStep() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - store_artifacts: {path: out, when: on_success}
                  - store_test_results: {path: results}
                  - persist_to_workspace: {root: ., paths: [a], when: always}
                  - restore_cache: {key: k, when: on_fail}
                  - attach_workspace: {at: ws}
            """)))
        #expect(job.steps.map(\.condition) == [.onSuccess, .always, .always, .onFail, .onSuccess])
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps: [{store_artifacts: {path: out, when: sometimes}}]
            """)
        #expect(errors.contains { $0.path == "jobs.build.steps[0].store_artifacts.when" }, "\(errors.summary)")
    }

    @Test func machineEnabledAndNewerDockerClassesAreAccepted() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            jobs:
              vm:
                machine: {enabled: true, image: ubuntu-2204:current}
                steps: [checkout]
              gen2:
                docker: [{image: alpine}]
                resource_class: medium+.gen2
                steps: [checkout]
            workflows:
              main: {jobs: [vm, gen2]}
            """))
        let jobs = (plan.workflows.first?.jobs ?? []).compactMap(\.job)
        try #require(jobs.count == 2)
        #expect(jobs[0].executor == .machine(resourceClass: "medium"))
        #expect(jobs[1].resourceClass == "medium+.gen2")
    }
}

@Suite struct NewerPipelineValueTests {
    @Test func projectSlugScheduleSetupAndTriggerParametersAreKnown() throws {
        let values = PipelineValues(id: UUID(), number: 3, projectGitURL: "file:///repos/acme/app.git", gitBranch: "main",
                                    gitTag: nil, gitRevision: "abc", triggerSource: .scheduledPipeline,
                                    scheduledWorkflow: "nightly", projectSlug: "gh/acme/app",
                                    triggerParameters: ["circleci.trigger_type": "schedule"])
        let plan = try ConfigCompiler().compile(yaml: """
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run: echo "<< pipeline.project.slug >>|<< pipeline.in_setup >>|<< pipeline.schedule.name >>|<< pipeline.trigger_parameters.circleci.trigger_type >>|<< pipeline.trigger_parameters.gitlab.branch >>|"
            workflows:
              nightly:
                jobs: [build]
            """, parameters: [:], pipeline: values)
        guard case .run(let run)? = plan.workflows.first?.jobs.first?.job?.steps.first else {
            Issue.record("no run step")
            return
        }
        #expect(run.command == #"echo "gh/acme/app|false|nightly|schedule||""#)
        let id = PipelineValues(id: UUID(), number: 1, projectGitURL: "x", gitBranch: nil, gitTag: nil, gitRevision: "r",
                                scheduledWorkflow: "nightly", projectSlug: "gh/acme/app")
        let a = try ConfigCompiler().compile(yaml: "version: 2.1\njobs:\n  b: {docker: [{image: alpine}], steps: [{run: 'echo << pipeline.schedule.id >>'}]}\nworkflows:\n  w: {jobs: [b]}\n",
                                             parameters: [:], pipeline: id)
        guard case .run(let idRun)? = a.workflows.first?.jobs.first?.job?.steps.first else { return }
        #expect(idRun.command.split(separator: " ").last?.count == 36)
    }
}

/// Docker classes only some builders offer, and step conditions written as expressions.
@Suite struct PlacementClassTests {
    @Test func armGPUAndRunnerDockerClassesCompileAndNeedABuilderThatOffersThem() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            jobs:
              arm: {docker: [{image: a}], resource_class: arm.medium, steps: [checkout]}
              gpu: {docker: [{image: a}], resource_class: gpu.nvidia.small, steps: [checkout]}
              runner: {docker: [{image: a}], resource_class: acme/containers, steps: [checkout]}
              plain: {docker: [{image: a}], resource_class: large.gen2, steps: [checkout]}
            workflows:
              w: {jobs: [arm, gpu, runner, plain]}
            """))
        let capabilities = Dictionary(uniqueKeysWithValues: plan.workflows[0].jobs.map { ($0.name, $0.job?.requiredCapability) })
        #expect(capabilities == ["arm": "docker:arm.medium", "gpu": "docker:gpu.nvidia.small",
                                 "runner": "docker:acme/containers", "plain": "docker"])
        #expect(WaitReason.describe("docker:arm.medium") == "the Docker executor with resource class arm.medium")
    }

    @Test func whenAndUnlessStepConditionsMayBeExpressions() throws {
        let yaml = """
            version: 2.1
            jobs:
              build:
                docker: [{image: a}]
                steps:
                  - when:
                      condition: pipeline.git.branch == "main"
                      steps: [{run: echo on main}]
                  - unless:
                      condition: pipeline.git.branch starts-with "release/"
                      steps: [{run: echo not a release}]
                  - run: echo always
            workflows:
              w: {jobs: [build]}
            """
        func commands(_ branch: String) throws -> [String] {
            let plan = try ConfigCompiler().compile(yaml: yaml, parameters: [:], pipeline: PipelineValues(
                id: UUID(), number: 1, projectGitURL: "", gitBranch: branch, gitTag: nil, gitRevision: "r"))
            return plan.workflows[0].jobs[0].job?.steps.compactMap {
                if case .run(let run) = $0 { return run.command } else { return nil }
            } ?? []
        }
        #expect(try commands("main") == ["echo on main", "echo not a release", "echo always"])
        #expect(try commands("release/1.0") == ["echo always"])
        // Validation only checks the syntax; processing reports a bad expression at its path.
        #expect(compileErrors(yaml.replacingOccurrences(of: "== \"main\"", with: "== ")).contains {
            $0.path == "jobs.build.steps[0].when.condition" })
    }
}
