import Foundation
import GyreLocal
import Testing

/// End to end: a 2.1 config using an inline orb, an executor, commands with
/// parameters, a matrix, a `when` step and a pipeline parameter runs as the
/// compiler expanded it.
extension EndToEnd {
@Suite struct ConfigFeatureTests {
    @Test func expandedConfigRunsWithPipelineParameters() async throws {
        let system = try fixture
        let slug = try await system.project("config-features", config: """
            version: 2.1
            parameters:
              greeting: {type: string, default: hello}
              loud: {type: boolean, default: false}
            orbs:
              tools:
                executors:
                  host:
                    machine: true
                    resource_class: gyre/host
                commands:
                  say:
                    parameters:
                      what: {type: string}
                    steps:
                      - run:
                          name: say << parameters.what >>
                          command: echo "said << parameters.what >>"
            jobs:
              greet:
                parameters:
                  who: {type: string}
                executor: tools/host
                steps:
                  - tools/say: {what: << pipeline.parameters.greeting >>-<< parameters.who >>}
                  - when:
                      condition: << pipeline.parameters.loud >>
                      steps: [{run: {name: shout, command: echo LOUD}}]
              done:
                executor: tools/host
                steps: [{run: echo done on << pipeline.git.branch >>}]
            workflows:
              main:
                jobs:
                  - greet:
                      matrix: {parameters: {who: [ann, bob]}}
                  - done:
                      requires: [greet]
            """)
        let created = try await system.client.trigger(slug, parameters: ["greeting": "hi", "loud": true])
        let outcome = try await system.client.wait(for: created.id, timeout: .seconds(300))
        #expect(outcome.status == "success", "\(system.logs())")
        let jobs = try #require(outcome.workflows.first?.jobs)
        #expect(jobs.map(\.name).sorted() == ["done", "greet-ann", "greet-bob"])
        let greetAnn = try #require(jobs.first { $0.name == "greet-ann" })
        let steps = try await system.client.steps(slug, job: try #require(greetAnn.job_number))
        #expect(steps.map(\.name).suffix(2) == ["say hi-ann", "shout"], "\(steps.map { ($0.name, $0.output, $0.status) })")
        #expect(steps.first { $0.name == "say hi-ann" }?.output.contains("said hi-ann") == true)
        let done = try #require(jobs.first { $0.name == "done" })
        let doneSteps = try await system.client.steps(slug, job: try #require(done.job_number))
        #expect(doneSteps.last?.output.contains("done on main") == true, "\(doneSteps.map(\.output))")
    }

    @Test func invalidConfigErrorsReachThePipeline() async throws {
        let system = try fixture
        let slug = try await system.project("config-errors", config: """
            version: 2.1
            orbs:
              node: circleci/node@5.0.2
            workflows:
              main:
                jobs: [node/test]
            """)
        let created = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: created.id, timeout: .seconds(120))
        #expect(outcome.pipeline.state == "errored")
        let messages = outcome.pipeline.errors.map(\.message).joined(separator: "\n")
        #expect(messages.contains("orb circleci/node@5.0.2 is not available offline"), "\(messages)")
    }
}
}
