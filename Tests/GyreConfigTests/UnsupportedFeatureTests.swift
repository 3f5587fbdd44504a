import GyreConfig
import GyreModel
import Testing

@Suite("Valid CircleCI that is not supported yet")
struct UnsupportedFeatureTests {
    /// Wraps a job body (indented 4) and optional extra top-level YAML into a 2.1 config.
    static func config(top: String = "", job: String = "", steps: String = "      - checkout",
                       workflow: String = "      - build") -> String {
        """
        version: 2.1
        \(top)
        jobs:
          build:
            docker: [{image: alpine}]
        \(job)
            steps:
        \(steps)
        workflows:
          main:
            jobs:
        \(workflow)
        """
    }

    static func expectUnsupported(_ yaml: String, at path: String, feature: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) {
        let errors = compileErrors(yaml, sourceLocation: sourceLocation)
        #expect(errors.count == 1, "\(errors.summary)", sourceLocation: sourceLocation)
        #expect(errors.first?.code == .unsupported, "\(errors.summary)", sourceLocation: sourceLocation)
        #expect(errors.first?.path == path, "\(errors.summary)", sourceLocation: sourceLocation)
        #expect(errors.first?.message.hasSuffix("is not supported yet") == true, sourceLocation: sourceLocation)
        #expect(errors.first?.message.contains(feature) == true, "\(errors.summary)", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        ("orbs:\n  node: circleci/node@5.0", "orbs"),
        ("commands:\n  hello:\n    steps: [checkout]", "commands"),
        ("executors:\n  default:\n    docker: [{image: alpine}]", "executors"),
        ("parameters:\n  deploy:\n    type: boolean\n    default: false", "parameters"),
        ("setup: true", "setup"),
    ])
    func topLevelFeatures(top: String, key: String) {
        Self.expectUnsupported(Self.config(top: top), at: key, feature: key)
    }

    @Test(arguments: [
        "save_cache:\n          key: deps-{{ checksum \"go.sum\" }}\n          paths: [/go/pkg]",
        "restore_cache:\n          keys: [deps-]",
        "persist_to_workspace:\n          root: .\n          paths: [bin]",
        "attach_workspace:\n          at: /tmp/ws",
        "store_artifacts:\n          path: out",
        "store_test_results:\n          path: results",
        "add_ssh_keys:\n          fingerprints: [\"aa:bb\"]",
        "setup_remote_docker:\n          version: 20.10.24",
        "deploy:\n          command: ./deploy",
        "when:\n          condition: true\n          steps: [checkout]",
        "unless:\n          condition: true\n          steps: [checkout]",
    ])
    func stepKinds(step: String) {
        let kind = String(step.prefix { $0 != ":" })
        Self.expectUnsupported(Self.config(steps: "      - \(step)"), at: "jobs.build.steps[0].\(kind)", feature: kind)
    }

    @Test(arguments: ["add_ssh_keys", "setup_remote_docker"])
    func bareStringStepKinds(kind: String) {
        Self.expectUnsupported(Self.config(steps: "      - \(kind)"), at: "jobs.build.steps[0]", feature: kind)
    }

    @Test func commandAndOrbCommandInvocations() {
        let withCommand = Self.config(top: "commands:\n  hello:\n    steps: [checkout]", steps: "      - hello")
        let errors = compileErrors(withCommand)
        #expect(Set(errors.map(\.path)) == ["commands", "jobs.build.steps[0]"], "\(errors.summary)")
        #expect(errors.allSatisfy { $0.code == .unsupported })
        #expect(errors.first(at: "jobs.build.steps[0]")?.message.contains("hello") == true)

        let orbErrors = compileErrors(Self.config(top: "orbs:\n  node: circleci/node@5", steps: "      - node/install"))
        #expect(Set(orbErrors.map(\.path)) == ["orbs", "jobs.build.steps[0]"], "\(orbErrors.summary)")
        #expect(orbErrors.allSatisfy { $0.code == .unsupported })
    }

    @Test(arguments: [
        ("executor: default", "executor"),
        ("macos:\n      xcode: 15.4.0", "macos"),
        ("parameters:\n      size: {type: string, default: small}", "parameters"),
        ("branches:\n      only: [main]", "branches"),
    ])
    func jobKeys(line: String, key: String) {
        let yaml = Self.config(job: "    \(line)")
        let errors = compileErrors(yaml)
        let unsupported = errors.first(at: "jobs.build.\(key)")
        #expect(unsupported?.code == .unsupported, "\(errors.summary)")
        #expect(unsupported?.message == "\(key) is not supported yet")
        // A second executor next to docker is also called out.
        #expect(errors.allSatisfy { $0.path == "jobs.build.\(key)" || $0.path == "jobs.build" })
    }

    @Test func executorAloneIsOnlyUnsupported() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                executor: default
                steps: [checkout]
            """)
        #expect(errors.map(\.path) == ["jobs.build.executor"], "\(errors.summary)")
        #expect(errors.first?.code == .unsupported)
    }

    @Test func dockerAuthIsUnsupported() {
        let yaml = """
            version: 2.1
            jobs:
              build:
                docker:
                  - image: private/image
                    auth:
                      username: me
                      password: $PASSWORD
                steps: [checkout]
            """
        Self.expectUnsupported(yaml, at: "jobs.build.docker[0].auth", feature: "auth")
    }

    @Test func interpolationIsUnsupported() {
        Self.expectUnsupported(Self.config(steps: "      - run: echo << pipeline.git.branch >>"),
                               at: "jobs.build.steps[0].run", feature: "<< pipeline.git.branch >>")
        Self.expectUnsupported(Self.config(job: "    parallelism: << parameters.n >>"),
                               at: "jobs.build.parallelism", feature: "<< parameters.n >>")
        // A heredoc is not interpolation.
        _ = compilePlan(Self.config(steps: "      - run: |\n          cat <<EOF >> out.txt\n          hi\n          EOF"))
    }

    @Test(arguments: [
        ("triggers:\n      - schedule:\n          cron: \"0 0 * * *\"\n          filters: {branches: {only: [main]}}",
         "triggers"),
        ("when: << pipeline.parameters.run >>", "when"),
        ("unless: true", "unless"),
    ])
    func workflowKeys(line: String, key: String) {
        let yaml = """
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps: [checkout]
            workflows:
              main:
                \(line)
                jobs: [build]
            """
        Self.expectUnsupported(yaml, at: "workflows.main.\(key)", feature: key)
    }

    @Test(arguments: [
        ("context: org-global", "context"),
        ("context: [a, b]", "context"),
        ("filters:\n            branches:\n              only: main", "filters"),
        ("matrix:\n            parameters:\n              v: [1, 2]", "matrix"),
        ("pre-steps: [checkout]", "pre-steps"),
        ("post-steps: [checkout]", "post-steps"),
    ])
    func workflowJobKeys(line: String, key: String) {
        let workflow = "      - build:\n          \(line)"
        Self.expectUnsupported(Self.config(workflow: workflow), at: "workflows.main.jobs[0].\(key)", feature: key)
    }

    @Test func approvalJobsAreUnsupported() {
        let workflow = "      - hold:\n          type: approval\n      - build:\n          requires: [hold]"
        Self.expectUnsupported(Self.config(workflow: workflow), at: "workflows.main.jobs[0].type",
                               feature: "type: approval")
    }

    @Test func requiresWithStatusIsUnsupported() {
        let workflow = "      - build:\n          name: a\n      - build:\n          requires:\n            - a: failed"
        Self.expectUnsupported(Self.config(workflow: workflow), at: "workflows.main.jobs[1].requires[0]",
                               feature: "status")
        let bad = "      - build:\n          name: a\n      - build:\n          requires:\n            - a: exploded"
        let errors = compileErrors(Self.config(workflow: bad))
        #expect(errors.map(\.code) == [.invalid], "\(errors.summary)")
    }

    @Test func jobParametersInWorkflowAreUnsupported() {
        Self.expectUnsupported(Self.config(workflow: "      - build:\n          size: large"),
                               at: "workflows.main.jobs[0].size", feature: "size")
    }

    @Test func orbJobsAreUnsupported() {
        let errors = compileErrors(Self.config(top: "orbs:\n  aws: circleci/aws-ecr@6", workflow: "      - aws/build-and-push"))
        #expect(Set(errors.map(\.path)) == ["orbs", "workflows.main.jobs[0]"], "\(errors.summary)")
        #expect(errors.allSatisfy { $0.code == .unsupported })
    }
}
