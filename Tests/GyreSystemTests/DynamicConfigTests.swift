import Foundation
import GyreLocal
import Testing

/// Dynamic configuration: a `setup: true` pipeline runs its setup workflow
/// with a continuation key, and the shipped orbs continue it from a job
/// container without network (through the agent's socket), exactly once.
extension EndToEnd {
@Suite struct DynamicConfigTests {
    static let continued = """
        version: 2.1
        parameters:
          build-a: {type: boolean, default: false}
          build-b: {type: boolean, default: false}
        jobs:
          a:
        \(hostJob("echo built service a"))
          b:
        \(hostJob("echo built service b"))
        workflows:
          service-a:
            when: << pipeline.parameters.build-a >>
            jobs: [a]
          service-b:
            when: << pipeline.parameters.build-b >>
            jobs: [b]
        """

    /// The job prints its continuation key in hex (the key itself would be masked), and the test reads it back.
    static let printKey = #"printf 'KEY-HEX:%s\n' "$(printf %s "$CIRCLE_CONTINUATION_KEY" | od -An -tx1 | tr -d ' \n')""#

    static func key(in output: String) throws -> String {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("KEY-HEX:") })
        let hex = Array(line.dropFirst("KEY-HEX:".count))
        var bytes: [UInt8] = []
        var index = 0
        while index + 1 < hex.count {
            bytes.append(try #require(UInt8(String(hex[index...index + 1]), radix: 16)))
            index += 2
        }
        let key = String(decoding: bytes, as: UTF8.self)
        #expect(key.count >= 32, "\(line)")
        return key
    }

    @Test func aSetupWorkflowContinuesWithPathFiltering() async throws {
        let system = try fixture
        let slug = try await system.project("monorepo", config: """
            version: 2.1
            setup: true
            orbs:
              path-filtering: circleci/path-filtering@1.3.0
            workflows:
              setup:
                jobs:
                  - path-filtering/filter:
                      pre-steps:
                        - run: \(Self.printKey)
                      base-revision: main
                      config-path: .circleci/continue_config.yml
                      mapping: |
                        service-a/.* build-a true
                        service-b/.* build-b true
            """, files: [".circleci/continue_config.yml": Self.continued, "service-a/main.go": "package a\n",
                         "service-b/main.go": "package b\n"])
        // A branch that changes service a only.
        let repository = "\(system.runDirectory)/repos/acme/monorepo.git"
        try SystemFixture.shell(["git", "-C", repository, "checkout", "--quiet", "-b", "feature"])
        try SampleRepository.commit(at: repository, files: ["service-a/main.go": "package a // changed\n"])

        let created = try await system.client.trigger(slug, branch: "feature")
        let outcome = try await system.client.wait(for: created.id, timeout: .seconds(180))
        #expect(outcome.pipeline.state == "created", "\(outcome.pipeline.errors) \(system.logs())")
        let names = outcome.workflows.map(\.workflow.name)
        #expect(names == ["setup", "service-a"], "\(names)")
        #expect(outcome.status == "success", "\(outcome.workflows.map { ($0.workflow.name, $0.workflow.status) })")

        // The setup job ran in a container without network and continued through the agent.
        let filter = try #require(outcome.workflows.first?.jobs.first?.job_number)
        let steps = try await system.client.steps(slug, job: filter)
        let output = steps.map(\.output).joined()
        #expect(output.contains("Changed files:\n  service-a/main.go\n"), "\(output)")
        #expect(output.contains("Parameters: {\"build-a\":true}"), "\(output)")
        #expect(output.contains("Continuation successful: Success"), "\(output)")
        let key = try Self.key(in: output)
        #expect(!output.contains(key), "the key is never printed")
        // Sealed at rest: the database holds neither the key nor anything it could be read from without the KEK.
        let stored = try #require(try system.sql(
            "SELECT continuation_key FROM pipelines WHERE id = '\(created.id.uuidString.lowercased())'").first)
        #expect(stored.hasPrefix("gyre:v1:") && !stored.contains(key))
        let a = try #require(outcome.workflows.last?.jobs.first?.job_number)
        #expect(try await system.client.steps(slug, job: a).last?.output == "built service a\n")

        // The key works once; a wrong key is refused.
        let again = try await system.client.continuePipeline(key: key, configuration: Self.continued)
        #expect(again.status == 409 && again.message.contains("has already been continued"), "\(again)")
        let wrong = try await system.client.continuePipeline(key: "not-a-key", configuration: Self.continued)
        #expect(wrong.status == 401 && wrong.message.contains("continuation key is not valid"), "\(wrong)")
    }

    @Test func fourColumnMappingsContinueWithTheMatchedConfigsMerged() async throws {
        let system = try fixture
        func part(_ name: String) -> String {
            // Each part declares the parameters the mapping sets (undeclared ones are errors, as on CircleCI).
            "version: 2.1\nparameters:\n  build-a: {type: boolean, default: false}\n  build-b: {type: boolean, default: false}\n"
                + "  docs: {type: boolean, default: false}\n"
                + "jobs:\n  \(name):\n\(hostJob("echo built \(name)"))\nworkflows:\n  \(name):\n    jobs: [\(name)]\n"
        }
        let slug = try await system.project("monorepo-parts", config: """
            version: 2.1
            setup: true
            orbs:
              path-filtering: circleci/path-filtering@1
            workflows:
              setup:
                jobs:
                  - path-filtering/filter:
                      mapping: |
                        service-a/.* build-a true .circleci/a.yml
                        service-b/.* build-b true .circleci/b.yml
                        docs/.* docs true .circleci/docs.yml
            """, files: [".circleci/a.yml": part("a"), ".circleci/b.yml": part("b"), ".circleci/docs.yml": part("docs"),
                         "service-a/x": "1\n", "service-b/x": "1\n", "docs/x": "1\n"])
        let repository = "\(system.runDirectory)/repos/acme/monorepo-parts.git"
        try SystemFixture.shell(["git", "-C", repository, "checkout", "--quiet", "-b", "both"])
        try SampleRepository.commit(at: repository, files: ["service-a/x": "2\n", "docs/x": "2\n"])
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug, branch: "both").id,
                                                   timeout: .seconds(180))
        #expect(outcome.pipeline.state == "created", "\(outcome.pipeline.errors) \(system.logs())")
        #expect(outcome.workflows.map(\.workflow.name).sorted() == ["a", "docs", "setup"])
        #expect(outcome.status == "success")
    }

    @Test func aContinuationMayNotBeASetupConfigAndAPipelineWithoutOneEnds() async throws {
        let system = try fixture
        let slug = try await system.project("setup-twice", config: """
            version: 2.1
            setup: true
            jobs:
              generate:
                machine: true
                resource_class: gyre/host
                steps:
                  - checkout
                  - run: \(Self.printKey)
                  - run: circleci-agent continue --config .circleci/again.yml
            workflows:
              setup:
                jobs: [generate]
            """, files: [".circleci/again.yml": "version: 2.1\nsetup: true\n" + Self.continued.dropFirst("version: 2.1\n".count)])
        let created = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: created.id, timeout: .seconds(120))
        #expect(outcome.pipeline.state == "setup", "\(outcome.pipeline)")
        #expect(outcome.workflows.map(\.workflow.name) == ["setup"])
        #expect(outcome.workflows.first?.workflow.status == "failed")
        let job = try #require(outcome.workflows.first?.jobs.first?.job_number)
        let output = try await system.client.steps(slug, job: job).map(\.output).joined()
        #expect(output.contains("Continuation failed (HTTP 400)"), "\(output)")
        #expect(output.contains("cannot itself be a setup configuration"), "\(output)")
        // The setup workflow has ended: its key no longer continues the pipeline.
        let key = try Self.key(in: output)
        let late = try await system.client.continuePipeline(key: key, configuration: Self.continued)
        #expect(late.status == 409 && late.message.contains("setup workflow has ended"), "\(late)")
    }
}
}
