import Foundation
import GyreConfig
import GyreModel
import Testing

@Suite("Workflows")
struct WorkflowCompilationTests {
    static let twoJobs = """
        jobs:
          build:
            docker: [{image: alpine}]
            steps: [checkout]
          test:
            docker: [{image: alpine}]
            steps:
              - run: make test
        """

    @Test func twoJobWorkflowWithRequires() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              ci:
                jobs:
                  - build
                  - test:
                      requires:
                        - build
              nightly:
                jobs:
                  - test
            """))
        #expect(plan.workflows.map(\.name) == ["ci", "nightly"])
        let ci = try #require(plan.workflows.first)
        #expect(ci.jobs.map(\.name) == ["build", "test"])
        #expect(ci.jobs.map(\.requires) == [[], ["build"]])
        #expect(ci.jobs.last?.job?.steps == [.run(RunStep(name: "make test", command: "make test"))])
        #expect(plan.workflows.last?.jobs.map(\.name) == ["test"])
    }

    @Test func workflowOrderAndJobOrderFollowTheFile() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              zeta:
                jobs: [test, build]
              alpha:
                jobs: [build]
              middle:
                jobs: [test]
            """))
        #expect(plan.workflows.map(\.name) == ["zeta", "alpha", "middle"])
        #expect(plan.workflows.first?.jobs.map(\.name) == ["test", "build"])
    }

    @Test func workflowJobAlias() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              ci:
                jobs:
                  - build
                  - test:
                      name: test-unit
                      requires: [build]
                  - test:
                      name: test-integration
                      requires: [build, test-unit]
            """))
        let jobs = try #require(plan.workflows.first?.jobs)
        #expect(jobs.map(\.name) == ["build", "test-unit", "test-integration"])
        #expect(jobs.map(\.requires) == [[], ["build"], ["build", "test-unit"]])
        #expect(jobs[1].job == jobs[2].job)
    }

    @Test func version20WithoutWorkflowsRunsBuild() throws {
        for version in ["2", "2.0", "\"2.0\"", "'2'", "2.1"] {
            let plan = try #require(compilePlan("""
                version: \(version)
                \(Self.twoJobs)
                """))
            #expect(plan.workflows.count == 1)
            #expect(plan.workflows.first?.name == "workflow")
            #expect(plan.workflows.first?.jobs.map(\.name) == ["build"])
            #expect(plan.workflows.first?.jobs.first?.requires == [])
        }
    }

    @Test func workflowsWithOnlyAVersionKeyRunBuild() throws {
        let plan = try #require(compilePlan("""
            version: 2
            \(Self.twoJobs)
            workflows:
              version: 2
            """))
        #expect(plan.workflows.map(\.name) == ["workflow"])
    }

    @Test func noWorkflowsAndNoBuildJobIsAnError() {
        let errors = compileErrors("""
            version: 2
            jobs:
              test:
                docker: [{image: alpine}]
                steps: [checkout]
            """)
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.path == "jobs")
        #expect(errors.first?.message.contains("\"build\"") == true)
    }

    @Test func unknownRequiresIsAnErrorAtItsPath() {
        let errors = compileErrors("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              ci:
                jobs:
                  - build
                  - test:
                      requires:
                        - build
                        - lint
            """)
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.code == .invalid)
        #expect(errors.first?.path == "workflows.ci.jobs[1].requires[1]")
        #expect(errors.first?.message.contains("\"lint\"") == true)
    }

    @Test func requiresMayOnlyNameJobsOfTheSameWorkflow() {
        let errors = compileErrors("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              one:
                jobs: [build]
              two:
                jobs:
                  - test:
                      requires: [build]
            """)
        #expect(errors.map(\.path) == ["workflows.two.jobs[0].requires[0]"], "\(errors.summary)")
    }

    @Test func cycleIsAnErrorNamingTheJobs() {
        let errors = compileErrors("""
            version: 2.1
            \(Self.twoJobs)
              lint:
                docker: [{image: alpine}]
                steps: [checkout]
            workflows:
              ci:
                jobs:
                  - lint
                  - build:
                      requires: [test]
                  - test:
                      requires: [build]
            """)
        #expect(errors.count == 1, "\(errors.summary)")
        let error = errors.first
        #expect(error?.path == "workflows.ci.jobs")
        #expect(error?.message.contains("\"build\"") == true)
        #expect(error?.message.contains("\"test\"") == true)
        #expect(error?.message.contains("lint") == false)
        #expect(error?.message.contains("cycle") == true)
    }

    @Test func selfRequirementIsACycle() {
        let errors = compileErrors("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              ci:
                jobs:
                  - build:
                      requires: [build]
            """)
        #expect(errors.map(\.path) == ["workflows.ci.jobs"], "\(errors.summary)")
        #expect(errors.first?.message.contains("\"build\" requires itself") == true)
    }

    @Test func longRequiresChainDoesNotExhaustTheStack() throws {
        let count = 3000
        var yaml = "version: 2.1\n\(Self.twoJobs)\nworkflows:\n  ci:\n    jobs:\n      - build:\n          name: j0\n"
        for index in 1..<count {
            yaml += "      - build:\n          name: j\(index)\n          requires: [j\(index - 1)]\n"
        }
        let plan = try #require(compilePlan(yaml))
        #expect(plan.workflows.first?.jobs.count == count)
        yaml += "      - build:\n          name: loop\n          requires: [j\(count - 1)]\n"
        yaml = yaml.replacingOccurrences(of: "name: j0\n", with: "name: j0\n          requires: [loop]\n")
        let errors = compileErrors(yaml)
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.message.contains("cycle") == true)
    }

    @Test func duplicateWorkflowJobNamesAreErrors() {
        let errors = compileErrors("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              ci:
                jobs:
                  - build
                  - test
                  - build
                  - test:
                      name: build
            """)
        #expect(errors.map(\.path) == ["workflows.ci.jobs[2]", "workflows.ci.jobs[3]"], "\(errors.summary)")
        #expect(errors.allSatisfy { $0.message.contains("duplicate job name \"build\"") })
    }

    @Test func workflowJobMustBeDefined() {
        let errors = compileErrors("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              ci:
                jobs:
                  - build
                  - deploy:
                      requires: [build]
            """)
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.path == "workflows.ci.jobs[1]")
        #expect(errors.first?.message.contains("\"deploy\"") == true)
    }

    @Test func workflowShapeErrors() {
        let errors = compileErrors("""
            version: 2.1
            \(Self.twoJobs)
            workflows:
              empty:
                jobs: []
              missing: {}
              weird:
                jobs:
                  - [build]
                  - test:
                      requires: build
                colour: red
            """)
        #expect(Set(errors.map(\.path)) == [
            "workflows.empty.jobs", "workflows.missing.jobs", "workflows.weird.jobs[0]",
            "workflows.weird.jobs[1].requires", "workflows.weird.colour",
        ], "\(errors.summary)")
    }
}
