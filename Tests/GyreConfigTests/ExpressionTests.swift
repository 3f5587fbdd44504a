import Foundation
import GyreModel
import Testing
@testable import GyreConfig

/// CircleCI's expression language (CircleCI-Public/expr semantics) and `filters: <expression>`.
@Suite struct ExpressionTests {
    let env: [String: ConfigExpression.Value] = [
        "pipeline.git.branch": .string("main"), "pipeline.git.tag": .string(""), "pipeline.number": .integer(12),
        "pipeline.parameters.deploy": .boolean(true), "maybe": .undefined,
    ]

    func eval(_ text: String) throws -> Bool { try ConfigExpression.parse(text).isTrue(in: env) }

    @Test func operatorsAndPrecedence() throws {
        #expect(try eval(#"pipeline.git.branch == "main""#))
        #expect(try !eval(#"pipeline.git.branch != "main""#))
        #expect(try eval(#"pipeline.git.branch starts-with "ma" and pipeline.number > 10"#))
        #expect(try eval(#"pipeline.git.branch == "dev" or pipeline.number >= 12 and not false"#))
        #expect(try !eval(#"(pipeline.git.branch == "dev" or pipeline.number >= 12) and false"#))
        #expect(try eval(#"not (pipeline.git.tag starts-with "v") and pipeline.parameters.deploy"#))
        #expect(try eval(#"pipeline.git.branch matches /^ma.n$/"#))
        #expect(try eval(#"!false and 3 < 4 and 4 <= 4"#))
        #expect(try eval(#""say \"hi\"" == "say \"hi\"""#))
    }

    @Test func undefinedIsNeitherEqualNorUnequalAndCountsAsFalse() throws {
        #expect(try !eval("maybe == maybe"))
        #expect(try !eval("maybe != maybe"))
        #expect(try eval("not maybe"))
        #expect(try eval(#"maybe or pipeline.git.branch == "main""#))
    }

    @Test func mistakesAreExplained() {
        for (text, fragment) in [(#"pipeline.git.branch = "main""#, "incomplete operator"),
                                 (#""open"#, "unterminated string"), ("and", "expected a value"),
                                 ("(true", "expected \")\""), ("true false", "unexpected"),
                                 ("unknown.thing", "unknown variable"), (#"pipeline.number starts-with "1""#, "string operands"),
                                 (#"pipeline.git.branch > 1"#, "numeric operands"), ("1 # 2", "unexpected character")] {
            #expect(throws: ConfigExpression.Failure.self, "\(text)") { _ = try eval(text) }
            do { _ = try eval(text) } catch { #expect("\(error)".contains(fragment), "\(text): \(error)") }
        }
    }

    @Test func aWorkflowWhenMayBeAnExpression() throws {
        let values = PipelineValues(id: UUID(), number: 5, projectGitURL: "x", gitBranch: "staging", gitTag: nil,
                                    gitRevision: "r")
        let plan = try ConfigCompiler().compile(yaml: """
            version: 2.1
            jobs:
              test: {docker: [{image: alpine}], steps: [checkout]}
            workflows:
              nightly:
                when: pipeline.git.branch == "main" or pipeline.git.branch == "staging"
                jobs: [test]
              release:
                when: pipeline.git.tag starts-with "v"
                jobs: [test]
              literal:
                when: "yes"
                jobs: [test]
            """, parameters: [:], pipeline: values)
        #expect(plan.workflows.map(\.name) == ["nightly", "literal"])
        #expect(LogicStatement.readsAsExpression(#"pipeline.git.branch == "main""#))
        #expect(LogicStatement.readsAsExpression("pipeline.parameters.deploy"))
        #expect(!LogicStatement.readsAsExpression("true"))
        #expect(!LogicStatement.readsAsExpression("deploy to pipeline. today"))
    }

    @Test func jobFiltersMayBeAnExpressionDecidedAtCompileTime() throws {
        let values = PipelineValues(id: UUID(), number: 5, projectGitURL: "x", gitBranch: "feature/x", gitTag: nil,
                                    gitRevision: "r")
        let plan = try ConfigCompiler().compile(yaml: """
            version: 2.1
            jobs:
              test: {docker: [{image: alpine}], steps: [checkout]}
              deploy: {docker: [{image: alpine}], steps: [checkout]}
            workflows:
              main:
                jobs:
                  - test:
                      filters: pipeline.git.branch == "main" or pipeline.git.branch starts-with "feature/"
                  - deploy:
                      requires: [test]
                      filters: pipeline.git.branch == "main"
            """, parameters: [:], pipeline: values)
        let selected = plan.selected(branch: "feature/x", tag: nil, triggerSource: .api, scheduledWorkflow: nil)
        #expect(selected.workflows.first?.jobs.map(\.name) == ["test"])
        let errors = compileErrors("""
            version: 2.1
            jobs:
              test: {docker: [{image: alpine}], steps: [checkout]}
            workflows:
              main:
                jobs:
                  - test: {filters: 'pipeline.git.branch = "main"'}
            """)
        #expect(errors.contains { $0.path == "workflows.main.jobs[0].filters" && $0.message.contains("invalid filter expression") },
                "\(errors.summary)")
    }
}
