import Foundation
import GyreConfig
import GyreModel
import Testing

@Suite("Parameters and interpolation")
struct ParameterTests {
    static let job = """
        version: 2.1
        parameters:
          deploy: {type: boolean, default: false}
          env: {type: enum, enum: [staging, prod], default: staging}
          count: {type: integer, default: 2}
        jobs:
          build:
            parameters:
              greeting: {type: string, default: hello}
              times: {type: integer, default: 1}
              loud: {type: boolean, default: false}
              var: {type: env_var_name, default: TOKEN}
            docker: [{image: alpine}]
            parallelism: << parameters.times >>
            steps:
              - run: echo << parameters.greeting >> $<< parameters.var >> << parameters.loud >>
              - run: echo << pipeline.parameters.env >> << pipeline.parameters.count >> << pipeline.git.branch >>
              - run: cat <<EOF >> file
        """

    func runCommands(_ plan: PipelinePlan?) -> [String] {
        plan?.workflows.flatMap(\.jobs).compactMap(\.job).flatMap(\.steps).compactMap {
            if case .run(let step) = $0 { return step.command }
            return nil
        } ?? []
    }

    @Test func defaultsFillJobParametersAndPipelineValuesHavePlaceholders() throws {
        let plan = compilePlan(Self.job)
        let job = try #require(singleJob(plan))
        #expect(job.parallelism == 1)
        #expect(runCommands(plan) == ["echo hello $TOKEN false", "echo staging 2 ", "cat <<EOF >> file"])
    }

    @Test func workflowArgumentsAndPipelineValues() throws {
        let yaml = Self.job + """

            workflows:
              main:
                jobs:
                  - build:
                      greeting: hi
                      times: 3
                      loud: yes
            """
        let values = PipelineValues(id: UUID(), number: 7, projectGitURL: "file:///repo", gitBranch: "feature/x",
                                    gitTag: nil, gitRevision: "abc123")
        let plan = try ConfigCompiler().compile(yaml: yaml, parameters: ["env": .string("prod"), "count": .integer(5)],
                                                pipeline: values)
        #expect(singleJob(plan)?.parallelism == 3)
        #expect(runCommands(plan) == ["echo hi $TOKEN true", "echo prod 5 feature/x", "cat <<EOF >> file"])
    }

    @Test func pipelineValuesAreInterpolated() throws {
        let yaml = """
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run: echo << pipeline.id >> << pipeline.number >> << pipeline.git.tag >> << pipeline.git.revision >> << pipeline.project.git_url >> << pipeline.project.type >> << pipeline.trigger_source >>
            """
        let id = UUID()
        let values = PipelineValues(id: id, number: 4, projectGitURL: "file:///r", gitBranch: nil, gitTag: "v1",
                                    gitRevision: "deadbeef", triggerSource: .webhook)
        let plan = try ConfigCompiler().compile(yaml: yaml, parameters: [:], pipeline: values)
        #expect(runCommands(plan) == ["echo \(id.uuidString.lowercased()) 4 v1 deadbeef file:///r github webhook"])
    }

    @Test func unknownAndMistypedPipelineParametersAreErrorsNamingThem() {
        for (given, path, fragment) in [
            (["nope": ParameterValue.string("x")], "parameters.nope", "unknown parameter \"nope\""),
            (["count": .string("many")], "parameters.count", "must be an integer"),
            (["env": .string("dev")], "parameters.env", "one of \"staging\", \"prod\""),
            (["deploy": .string("maybe")], "parameters.deploy", "true or false"),
        ] {
            do {
                _ = try ConfigCompiler().compile(yaml: Self.job, parameters: given, pipeline: nil)
                Issue.record("expected an error for \(given)")
            } catch {
                #expect(error.errors.first?.path == path, "\(error)")
                #expect(error.errors.first?.message.contains(fragment) == true, "\(error)")
            }
        }
    }

    @Test func jobParameterErrors() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                parameters:
                  needed: {type: string}
                  n: {type: integer, default: 1}
                  bad: {type: colour}
                docker: [{image: alpine}]
                steps:
                  - run: echo << parameters.needed >> << parameters.missing >>
            workflows:
              main:
                jobs:
                  - build:
                      n: lots
                      extra: 1
            """)
        let summary = errors.summary
        #expect(errors.first(at: "jobs.build.parameters.bad.type")?.message.contains("unknown parameter type") == true, "\(summary)")
        #expect(errors.contains { $0.path == "workflows.main.jobs[0].n" && $0.message.contains("must be an integer") }, "\(summary)")
        #expect(errors.contains { $0.path == "workflows.main.jobs[0].extra" && $0.message.contains("unknown parameter \"extra\"") }, "\(summary)")
        #expect(!errors.contains { $0.code == .unsupported }, "\(summary)")
    }

    @Test func missingRequiredParameterAndUndeclaredReference() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                parameters:
                  needed: {type: string}
                docker: [{image: alpine}]
                steps:
                  - run: echo << parameters.needed >> << parameters.missing >>
            workflows:
              main:
                jobs: [build]
            """)
        #expect(errors.contains { $0.path == "workflows.main.jobs[0]" && $0.message.contains("missing required parameter \"needed\"") }, "\(errors.summary)")
        let withValue = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run: echo << parameters.missing >> << pipeline.parameters.nope >> << pipeline.colour >>
            """)
        #expect(withValue.count == 3, "\(withValue.summary)")
        #expect(withValue.allSatisfy { $0.path.hasPrefix("jobs.build.steps[0].run") }, "\(withValue.summary)")
    }

    @Test func interpolationNeedsVersion2_1() {
        let errors = compileErrors("""
            version: 2
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run: echo << pipeline.number >>
            """)
        #expect(errors.first?.message.contains("needs version: 2.1") == true, "\(errors.summary)")
    }

    @Test func stepsParameterIsSplicedIntoTheStepList() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                parameters:
                  before: {type: steps, default: []}
                docker: [{image: alpine}]
                steps:
                  - << parameters.before >>
                  - run: make
            workflows:
              main:
                jobs:
                  - build:
                      before:
                        - run: one
                        - run: two
            """)))
        #expect(job.steps.map(\.displayName) == ["one", "two", "make"])
    }
}
