import Foundation
import GyreConfig
import GyreModel
import Testing

@Suite("Commands, executors and orbs")
struct ReusableConfigTests {
    func commands(_ job: JobPlan?) -> [String] {
        job?.steps.compactMap { if case .run(let step) = $0 { return step.command } else { return nil } } ?? []
    }

    @Test func commandsWithParametersAndNestedCommands() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            commands:
              greet:
                parameters:
                  to: {type: string, default: world}
                steps:
                  - run: echo hello << parameters.to >>
              twice:
                parameters:
                  to: {type: string}
                  then: {type: steps, default: []}
                steps:
                  - greet: {to: << parameters.to >>}
                  - greet
                  - << parameters.then >>
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - twice:
                      to: you
                      then: [{run: done}]
            """)))
        #expect(commands(job) == ["echo hello you", "echo hello world", "done"])
    }

    @Test func commandErrors() {
        let errors = compileErrors("""
            version: 2.1
            commands:
              greet:
                parameters:
                  to: {type: string}
                steps: [{run: echo << parameters.to >>}]
              loop:
                steps: [loop]
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - greet
                  - greet: {to: x, from: y}
                  - gret
                  - loop
            """)
        let summary = errors.summary
        #expect(errors.contains { $0.path == "jobs.build.steps[0]" && $0.message.contains("missing required parameter \"to\" of command \"greet\"") }, "\(summary)")
        #expect(errors.contains { $0.path == "jobs.build.steps[1].greet.from" }, "\(summary)")
        #expect(errors.contains { $0.path == "jobs.build.steps[2]" && $0.message.contains("unknown step \"gret\"") }, "\(summary)")
        #expect(errors.contains { $0.message.contains("does it invoke itself?") }, "\(summary)")
    }

    @Test func executorsWithParametersMergeIntoTheJob() throws {
        let plan = compilePlan("""
            version: 2.1
            executors:
              node:
                parameters:
                  tag: {type: string, default: "18"}
                docker:
                  - image: node:<< parameters.tag >>
                environment: {A: from-executor, B: from-executor}
                working_directory: /src
                resource_class: small
              runner:
                machine: true
                resource_class: gyre/host
            jobs:
              build:
                parameters:
                  exec: {type: executor, default: node}
                executor: << parameters.exec >>
                environment: {B: from-job}
                steps: [checkout]
              mapped:
                executor: {name: node, tag: "20"}
                steps: [checkout]
              host:
                executor: runner
                steps: [checkout]
            workflows:
              main:
                jobs: [build, mapped, host]
            """)
        let jobs = plan?.workflows.first?.jobs.compactMap(\.job) ?? []
        try #require(jobs.count == 3)
        #expect(jobs[0].executor == .docker(images: [DockerImagePlan(image: "node:18")]))
        #expect(jobs[0].environment == [EnvVar("A", "from-executor"), EnvVar("B", "from-job")])
        #expect(jobs[0].workingDirectory == "/src")
        #expect(jobs[0].resourceClass == "small")
        #expect(jobs[1].executor == .docker(images: [DockerImagePlan(image: "node:20")]))
        #expect(jobs[2].executor == .machine(resourceClass: "gyre/host"))
    }

    @Test func undefinedExecutorIsAnError() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                executor: nowhere
                steps: [checkout]
            """)
        #expect(errors.first?.path == "jobs.build.executor", "\(errors.summary)")
        #expect(errors.first?.message.contains("executor \"nowhere\" is not defined") == true, "\(errors.summary)")
    }

    static let inlineOrb = """
        version: 2.1
        orbs:
          tools:
            orbs:
              inner:
                commands:
                  hi: {steps: [{run: inner hi}]}
            executors:
              default:
                parameters:
                  tag: {type: string, default: "1"}
                docker: [{image: "tool:<< parameters.tag >>"}]
            commands:
              say:
                parameters:
                  what: {type: string}
                steps: [{run: say << parameters.what >>}]
            jobs:
              lint:
                parameters:
                  what: {type: string, default: lint}
                executor: default
                steps:
                  - say: {what: << parameters.what >>}
                  - inner/hi
        jobs:
          build:
            executor: {name: tools/default, tag: "2"}
            steps:
              - tools/say: {what: build}
              - tools/inner/hi
        workflows:
          main:
            jobs:
              - build
              - tools/lint:
                  what: style
                  requires: [build]
        """

    @Test func inlineOrbsProvideCommandsExecutorsAndJobs() throws {
        let plan = try #require(compilePlan(Self.inlineOrb))
        let jobs = try #require(plan.workflows.first?.jobs)
        #expect(jobs.map(\.name) == ["build", "tools/lint"])
        #expect(jobs[1].requires == ["build"])
        #expect(jobs[0].job?.executor == .docker(images: [DockerImagePlan(image: "tool:2")]))
        #expect(commands(jobs[0].job) == ["say build", "inner hi"])
        #expect(jobs[1].job?.executor == .docker(images: [DockerImagePlan(image: "tool:1")]))
        #expect(commands(jobs[1].job) == ["say style", "inner hi"])
    }

    @Test func registryOrbsNeedAnImport() throws {
        let yaml = """
            version: 2.1
            orbs:
              node: circleci/node@5.0.2
            workflows:
              main:
                jobs: [node/test]
            """
        let errors = compileErrors(yaml)
        #expect(errors.first?.path == "orbs.node", "\(errors.summary)")
        #expect(errors.first?.message == "orb circleci/node@5.0.2 is not available offline (no version of circleci/node "
            + "is imported); this server never downloads orbs: import its source with "
            + "`gyre orb import FILE --name circleci/node@5.0.2`, or inline it under orbs:")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orbs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("circleci"),
                                                withIntermediateDirectories: true)
        try """
            version: 2.1
            jobs:
              test:
                docker: [{image: "cimg/node:20"}]
                steps: [checkout, {run: npm test}]
            """.write(to: directory.appendingPathComponent("circleci/node@5.0.2.yml"), atomically: true, encoding: .utf8)
        let plan = try ConfigCompiler(orbDirectory: directory).compile(yaml: yaml)
        #expect(plan.workflows.first?.jobs.first?.name == "node/test")
        #expect(commands(plan.workflows.first?.jobs.first?.job) == ["npm test"])
    }

    @Test func orbReferencesThatCouldLeaveTheDirectoryAreRefused() {
        let errors = compileErrors("""
            version: 2.1
            orbs:
              x: ../../etc/passwd@1
            jobs:
              build: {docker: [{image: a}], steps: [checkout]}
            """)
        #expect(errors.first?.path == "orbs.x")
        #expect(errors.first?.message.contains("is not an orb reference") == true, "\(errors.summary)")
    }

    @Test func unusedCommandDefinitionsAreChecked() {
        let errors = compileErrors("""
            version: 2.1
            commands:
              broken:
                parameters: {x: {type: nope}}
                stepz: []
            jobs:
              build: {docker: [{image: a}], steps: [checkout]}
            """)
        #expect(Set(errors.map(\.path)) == [
            "commands.broken.parameters.x.type", "commands.broken.stepz", "commands.broken.steps",
        ], "\(errors.summary)")
    }

    @Test func importedOrbsSeePipelineValues() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orbs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("acme"),
                                                withIntermediateDirectories: true)
        try """
            version: 2.1
            commands:
              where: {steps: [{run: "echo << pipeline.git.branch >>"}]}
            """.write(to: directory.appendingPathComponent("acme/tools@1.2.3.yml"), atomically: true, encoding: .utf8)
        let values = PipelineValues(id: UUID(), number: 1, projectGitURL: "", gitBranch: "topic", gitTag: nil,
                                    gitRevision: "r")
        let plan = try ConfigCompiler(orbDirectory: directory).compile(yaml: """
            version: 2.1
            orbs:
              tools: acme/tools@1.2.3
            jobs:
              build: {docker: [{image: a}], steps: [tools/where]}
            """, parameters: [:], pipeline: values)
        #expect(commands(singleJob(plan)) == ["echo topic"])
    }

    @Test func errorsInsideACommandPointIntoItsDefinition() {
        let errors = compileErrors("""
            version: 2.1
            commands:
              cache:
                parameters: {key: {type: string}}
                steps:
                  - save_cache: {key: << parameters.key >>}
            jobs:
              build:
                docker: [{image: a}]
                steps:
                  - checkout
                  - cache: {key: v1}
            """)
        #expect(errors.map(\.path) == ["commands.cache.steps[0].save_cache.paths"], "\(errors.summary)")
    }

    @Test func commandsThatMultiplyAreStopped() {
        var yaml = "version: 2.1\ncommands:\n  c0: {steps: [{run: x}]}\n"
        for level in 1...30 {
            yaml += "  c\(level): {steps: [c\(level - 1), c\(level - 1)]}\n"
        }
        yaml += "jobs:\n  build: {docker: [{image: a}], steps: [c30]}\n"
        let errors = compileErrors(yaml)
        #expect(errors.contains { $0.message.contains("more than 100000 steps") }, "\(errors.summary)")
    }
}
