import GyreConfig
import GyreModel
import Testing

@Suite("Workflow features")
struct WorkflowFeatureTests {
    static let jobs = """
        version: 2.1
        jobs:
          test:
            parameters:
              a: {type: integer, default: 0}
              b: {type: string, default: x}
            docker: [{image: alpine}]
            steps: [{run: test << parameters.a >> << parameters.b >>}]
          deploy:
            docker: [{image: alpine}]
            steps: [{run: deploy}]
        """

    func workflow(_ body: String) -> WorkflowPlan? {
        compilePlan(Self.jobs + "\nworkflows:\n  main:\n" + body)?.workflows.first
    }

    @Test func matrixExpandsInParameterOrderWithExclude() throws {
        let flow = try #require(workflow("""
                jobs:
                  - test:
                      matrix:
                        parameters:
                          a: [1, 2]
                          b: [x, y]
                        exclude:
                          - {a: 2, b: y}
                  - deploy:
                      requires: [test]
            """))
        #expect(flow.jobs.map(\.name) == ["test-1-x", "test-1-y", "test-2-x", "deploy"])
        #expect(flow.jobs.last?.requires == ["test-1-x", "test-1-y", "test-2-x"])
        if case .run(let step) = flow.jobs[1].job?.steps.first { #expect(step.command == "test 1 y") }
        else { Issue.record("no run step") }
    }

    @Test func matrixAliasNameInterpolationAndSingleExpansionRequires() throws {
        let flow = try #require(workflow("""
                jobs:
                  - test:
                      name: t<< matrix.a >>
                      matrix:
                        alias: tests
                        parameters: {a: [1, 2]}
                  - deploy:
                      requires: [tests]
                  - deploy:
                      name: after-one
                      requires: [t1]
            """))
        #expect(flow.jobs.map(\.name) == ["t1", "t2", "deploy", "after-one"])
        #expect(flow.jobs[2].requires == ["t1", "t2"])
        #expect(flow.jobs[3].requires == ["t1"])
    }

    @Test func approvalContextsAndFilters() throws {
        let flow = try #require(workflow("""
                jobs:
                  - test:
                      context: one
                      filters:
                        branches: {only: [main, /release-.*/]}
                        tags: {only: /^v.*/}
                  - hold:
                      type: approval
                      requires: [test]
                  - deploy:
                      requires: [hold]
                      context: [one, two]
                      filters: {branches: {ignore: main}}
            """))
        #expect(flow.jobs.map(\.name) == ["test", "hold", "deploy"])
        #expect(flow.jobs[1].type == .approval)
        #expect(flow.jobs[1].job == nil)
        #expect(flow.jobs[0].contexts == ["one"])
        #expect(flow.jobs[2].contexts == ["one", "two"])
        let filters = try #require(flow.jobs[0].filters)
        #expect(filters.allows(branch: "release-1", tag: nil))
        #expect(!filters.allows(branch: "dev", tag: nil))
        #expect(filters.allows(branch: nil, tag: "v1.0"))
        #expect(flow.jobs[2].filters?.allows(branch: "main", tag: nil) == false)
    }

    @Test func invalidFilterRegexIsAnError() {
        let errors = compileErrors(Self.jobs + """

            workflows:
              main:
                jobs:
                  - test:
                      filters: {branches: {only: ["/(unclosed/"]}}
            """)
        #expect(errors.first?.path == "workflows.main.jobs[0].filters.branches.only[0]", "\(errors.summary)")
        #expect(errors.first?.message.contains("invalid regular expression") == true)
    }

    @Test func preAndPostSteps() throws {
        let flow = try #require(workflow("""
                jobs:
                  - deploy:
                      pre-steps: [{run: before}]
                      post-steps: [{run: after}]
            """))
        #expect(flow.jobs.first?.job?.steps.map(\.displayName) == ["before", "deploy", "after"])
    }

    @Test func scheduleTriggers() throws {
        let flow = try #require(workflow("""
                triggers:
                  - schedule:
                      cron: "0 4 * * 1-5"
                      filters: {branches: {only: [main]}}
                jobs: [deploy]
            """))
        #expect(flow.triggers == [ScheduleTrigger(cron: "0 4 * * 1-5", branches: PatternFilter(only: [.exact("main")]))])
    }

    @Test func scheduleTriggerErrors() {
        let missingBranches = compileErrors(Self.jobs + """

            workflows:
              main:
                triggers: [{schedule: {cron: "0 4 * * *"}}]
                jobs: [deploy]
            """)
        #expect(missingBranches.first?.path == "workflows.main.triggers[0].schedule.filters", "\(missingBranches.summary)")
        #expect(missingBranches.first?.message.contains("branches: only") == true)
        let badCron = compileErrors(Self.jobs + """

            workflows:
              main:
                triggers: [{schedule: {cron: "61 * * * *", filters: {branches: {only: main}}}}]
                jobs: [deploy]
            """)
        #expect(badCron.first?.path == "workflows.main.triggers[0].schedule.cron", "\(badCron.summary)")
    }

    @Test func workflowWhenAndUnless() throws {
        let yaml = """
            version: 2.1
            parameters:
              run-deploy: {type: boolean, default: false}
            jobs:
              deploy: {docker: [{image: alpine}], steps: [{run: deploy}]}
            workflows:
              always:
                jobs: [deploy]
              only-when:
                when: << pipeline.parameters.run-deploy >>
                jobs: [deploy]
              unless-branch:
                unless:
                  matches: {pattern: "^main$", value: << pipeline.git.branch >>}
                jobs: [deploy]
            """
        let plain = try ConfigCompiler().compile(yaml: yaml)
        #expect(plain.workflows.map(\.name) == ["always", "unless-branch"])
        let values = PipelineValues(id: .init(), number: 1, projectGitURL: "", gitBranch: "main", gitTag: nil,
                                    gitRevision: "r")
        let withParameter = try ConfigCompiler().compile(yaml: yaml, parameters: ["run-deploy": .boolean(true)],
                                                         pipeline: values)
        #expect(withParameter.workflows.map(\.name) == ["always", "only-when"])
    }
}
