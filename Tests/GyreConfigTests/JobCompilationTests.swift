import GyreConfig
import GyreModel
import Testing

@Suite("Jobs and steps")
struct JobCompilationTests {
    @Test func minimalDockerJobWithCheckoutAndRuns() throws {
        let plan = compilePlan("""
            version: 2.1
            jobs:
              build:
                docker:
                  - image: cimg/node:20.1
                steps:
                  - checkout
                  - run: npm test
                  - run:
                      name: Lint
                      command: |
                        npm ci
                        npm run lint
            workflows:
              main:
                jobs:
                  - build
            """)
        let expectedJob = JobPlan(
            executor: .docker(images: [DockerImagePlan(image: "cimg/node:20.1")]),
            steps: [
                .checkout(CheckoutStep()),
                .run(RunStep(name: "npm test", command: "npm test")),
                .run(RunStep(name: "Lint", command: "npm ci\nnpm run lint\n")),
            ])
        #expect(plan == PipelinePlan(workflows: [
            WorkflowPlan(name: "main", jobs: [WorkflowJobPlan(name: "build", requires: [], job: expectedJob)]),
        ]))
        let job = try #require(singleJob(plan))
        #expect(job.workingDirectory == "~/project")
        #expect(job.resourceClass == "medium")
        #expect(job.parallelism == 1)
        #expect(job.shell == nil)
    }

    @Test func jobEnvironmentKeepsOrderAndWrittenValues() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                environment:
                  ZED: last-letter
                  ENABLED: true
                  COUNT: 3
                  RATIO: 1.50
                  OCTAL: 0755
                  EMPTY:
                  QUOTED: "yes"
                  ALPHA: a
                steps: [checkout]
            """)))
        #expect(job.environment == [
            EnvVar("ZED", "last-letter"), EnvVar("ENABLED", "true"), EnvVar("COUNT", "3"),
            EnvVar("RATIO", "1.50"), EnvVar("OCTAL", "0755"), EnvVar("EMPTY", ""),
            EnvVar("QUOTED", "yes"), EnvVar("ALPHA", "a"),
        ])
    }

    @Test func environmentMayBeAListOfMappingsOrOfKeyValueStrings() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            executors:
              py:
                docker: [{image: alpine}]
                environment:
                  - BASE=from-executor
                  - SHARED=executor
            jobs:
              build:
                executor: py
                environment:
                  - FOO: bar
                  - COUNT: 3
                    EMPTY:
                  - SHARED=job
                steps:
                  - run:
                      command: env
                      environment:
                        - STEP: one
            """)))
        #expect(job.environment == [
            EnvVar("BASE", "from-executor"), EnvVar("FOO", "bar"), EnvVar("COUNT", "3"), EnvVar("EMPTY", ""),
            EnvVar("SHARED", "job"),
        ])
        guard case .run(let run) = job.steps.first else { Issue.record("not a run step: \(job.steps)"); return }
        #expect(run.environment == [EnvVar("STEP", "one")])
    }

    @Test func anEnvironmentListEntryThatIsNeitherIsReported() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                environment:
                  - [nested]
                steps: [checkout]
            """)
        #expect(errors.contains { $0.description.contains("environment") }, "\(errors)")
    }

    @Test func jobOptionsAreCompiled() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2
            jobs:
              build:
                docker:
                  - image: cimg/python:3.12
                    user: circleci
                    environment:
                      PIP: quiet
                  - image: postgres:16
                    name: db
                    entrypoint: ["docker-entrypoint.sh"]
                    command: postgres -c 'max_connections=200'
                    environment:
                      - POSTGRES_USER=root
                      - POSTGRES_PASSWORD=a=b
                working_directory: /srv/app
                shell: /bin/sh -eo pipefail
                resource_class: large
                parallelism: 4
                steps:
                  - checkout:
                      path: src
            """)))
        #expect(job.executor == .docker(images: [
            DockerImagePlan(image: "cimg/python:3.12", user: "circleci", environment: [EnvVar("PIP", "quiet")]),
            DockerImagePlan(image: "postgres:16", name: "db", entrypoint: ["docker-entrypoint.sh"],
                            command: ["postgres", "-c", "max_connections=200"],
                            environment: [EnvVar("POSTGRES_USER", "root"), EnvVar("POSTGRES_PASSWORD", "a=b")]),
        ]))
        #expect(job.workingDirectory == "/srv/app")
        #expect(job.shell == "/bin/sh -eo pipefail")
        #expect(job.resourceClass == "large")
        #expect(job.parallelism == 4)
        #expect(job.steps == [.checkout(CheckoutStep(path: "src"))])
    }

    @Test func runStepOptions() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run:
                      command: ./server
                      name: Start server
                      shell: /bin/zsh
                      background: true
                      working_directory: backend
                      no_output_timeout: 20m
                      environment:
                        PORT: 8080
                  - run:
                      command: ./report
                      when: always
                  - run:
                      command: ./notify
                      when: on_fail
            """)))
        #expect(job.steps == [
            .run(RunStep(name: "Start server", command: "./server", shell: "/bin/zsh",
                         environment: [EnvVar("PORT", "8080")], workingDirectory: "backend", background: true,
                         noOutputTimeout: 1200)),
            .run(RunStep(name: "./report", command: "./report", when: .always)),
            .run(RunStep(name: "./notify", command: "./notify", when: .onFail)),
        ])
    }

    @Test func defaultStepNameIsTheFirstLineTruncated() throws {
        let long = String(repeating: "x", count: 120)
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run: |
                      echo one
                      echo two
                  - run: "\(long)"
            """)))
        #expect(job.steps.map(\.displayName) == ["echo one", String(repeating: "x", count: 77) + "..."])
        #expect(job.steps.last.map { $0.displayName.count } == 80)
    }

    @Test(arguments: [
        ("10m", 600), ("30s", 30), ("1h", 3600), ("1h30m", 5400), ("45", 45), ("1.5h", 5400), ("2m30s", 150),
    ])
    func noOutputTimeoutParsing(text: String, seconds: Int) throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run:
                      command: make
                      no_output_timeout: \(text)
            """)))
        guard case .run(let run) = job.steps.first else {
            Issue.record("expected a run step")
            return
        }
        #expect(run.noOutputTimeout == seconds)
    }

    @Test(arguments: ["abc", "10x", "m", "0", "-5", "1h-", "99999999999999999999h"])
    func badNoOutputTimeoutIsAnError(text: String) {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run:
                      command: make
                      no_output_timeout: "\(text)"
            """)
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.code == .invalid)
        #expect(errors.first?.path == "jobs.build.steps[0].run.no_output_timeout")
        #expect(errors.first?.message.contains("duration") == true)
    }

    @Test func machineRunnerJob() throws {
        let plan = compilePlan("""
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: acme/host
                steps: [checkout]
              other:
                machine:
                  image: ubuntu-2204:current
                resource_class: acme/gpu-box.1
                steps: [checkout]
            """)
        let job = try #require(singleJob(plan))
        #expect(job.executor == .machine(resourceClass: "acme/host"))
        #expect(job.resourceClass == "acme/host")
        #expect(job.executor.requiredCapability == "machine:acme/host")
    }

    @Test(arguments: [("", "medium"), ("resource_class: large", "large"), ("resource_class: arm.medium", "arm.medium")])
    func machineJobsWithAMachineClassWaitForAnAgentOfferingIt(line: String, resourceClass: String) throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                machine: true
                \(line)
                steps: [checkout]
            """)))
        #expect(job.executor == .machine(resourceClass: resourceClass))
        #expect(job.executor.requiredCapability == "machine:\(resourceClass)")
    }

    @Test(arguments: ["resource_class: acme/", "resource_class: a/b/c", "resource_class: 'two words'"])
    func aMachineClassThatIsNoClassIsAnError(line: String) {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                machine: true
                \(line)
                steps: [checkout]
            """)
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.path == "jobs.build.resource_class")
        #expect(errors.first?.code == .invalid)
        #expect(errors.first?.message.contains("namespace") == true)
    }

    @Test func noExecutorAndTwoExecutorsAreErrors() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                steps: [checkout]
              both:
                docker: [{image: alpine}]
                machine: true
                resource_class: acme/host
                steps: [checkout]
            workflows:
              main:
                jobs: [build, both]
            """)
        #expect(errors.count == 2, "\(errors.summary)")
        let none = errors.first(at: "jobs.build")
        #expect(none?.code == .invalid)
        #expect(none?.message.contains("\"build\"") == true)
        #expect(none?.message.contains("no executor") == true)
        let two = errors.first(at: "jobs.both")
        #expect(two?.message.contains("\"both\"") == true)
        #expect(two?.message.contains("more than one executor") == true)
    }

    @Test func unknownKeysAreInvalid() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker:
                  - image: alpine
                    pull: always
                colour: blue
                steps:
                  - run:
                      command: make
                      retries: 3
                  - chekout
                  - frobnicate:
                      fast: true
            """)
        #expect(Set(errors.map(\.path)) == [
            "jobs.build.docker[0].pull", "jobs.build.colour", "jobs.build.steps[0].run.retries",
            "jobs.build.steps[1]", "jobs.build.steps[2].frobnicate",
        ], "\(errors.summary)")
        #expect(errors.allSatisfy { $0.code == .invalid })
        #expect(errors.first(at: "jobs.build.colour")?.message == "unknown job key \"colour\"")
        #expect(errors.first(at: "jobs.build.steps[0].run.retries")?.message == "unknown run key \"retries\"")
        #expect(errors.first(at: "jobs.build.steps[1]")?.message == "unknown step \"chekout\"")
    }

    @Test func badValuesAreInvalid() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                resource_class: huge
                parallelism: 0
                environment: [FOO]
                steps:
                  - run:
                      name: no command
                  - run:
                      command: x
                      when: sometimes
                      background: maybe
                  - run:
                  - {}
              empty:
                docker: []
                steps: []
            """)
        let byPath = Dictionary(errors.map { ($0.path, $0.message) }, uniquingKeysWith: { a, _ in a })
        #expect(byPath["jobs.build.resource_class"]?.contains("unknown resource class") == true, "\(errors.summary)")
        #expect(byPath["jobs.build.parallelism"] != nil)
        #expect(byPath["jobs.build.environment[0]"] != nil)
        #expect(byPath["jobs.build.steps[0].run.command"] == "missing required key \"command\"")
        #expect(byPath["jobs.build.steps[1].run.when"] != nil)
        #expect(byPath["jobs.build.steps[1].run.background"] != nil)
        #expect(byPath["jobs.build.steps[2].run"] != nil)
        #expect(byPath["jobs.build.steps[3]"] != nil)
        #expect(byPath["jobs.empty.docker"] != nil)
        #expect(byPath["jobs.empty.steps"] != nil)
        #expect(errors.allSatisfy { $0.code == .invalid })
    }

    @Test func stepWithMisindentedOptionsExplainsItself() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run:
                    name: Test
                    command: make test
            """)
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.path == "jobs.build.steps[0]")
        #expect(errors.first?.message.contains("indentation") == true)
    }

    @Test func jobNamesIn21MustMatchThePattern() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              "build.docs":
                docker: [{image: alpine}]
                steps: [checkout]
            workflows:
              main:
                jobs: [build.docs]
            """)
        #expect(errors.map(\.path) == ["jobs.build.docs"], "\(errors.summary)")
        // Version 2.0 has no such rule.
        _ = compilePlan("""
            version: 2
            jobs:
              "build.docs":
                docker: [{image: alpine}]
                steps: [checkout]
            workflows:
              version: 2
              main:
                jobs: [build.docs]
            """)
    }
}
