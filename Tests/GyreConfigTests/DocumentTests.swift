import GyreConfig
import GyreModel
import Testing

@Suite("Documents: syntax, version, YAML features")
struct DocumentTests {
    @Test func notYAMLIsASyntaxErrorWithLineAndColumn() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build: [unclosed
            """)
        #expect(errors.count == 1)
        #expect(errors.first?.code == .syntax)
        #expect(errors.first?.message.contains("line ") == true, "\(errors.summary)")
        #expect(errors.first?.message.contains("column ") == true)
    }

    @Test func tabsAndBadIndentationAreSyntaxErrors() {
        for yaml in ["version: 2.1\njobs:\n\tbuild: {}\n", "version: 2.1\n  jobs: x\n bad: y\n", "a: b: c\n", "\"unterminated\n"] {
            let errors = compileErrors(yaml)
            #expect(errors.map(\.code) == [.syntax], "\(yaml): \(errors.summary)")
            #expect(errors.first?.message.contains("line") == true)
        }
    }

    @Test func duplicateKeysAreSyntaxErrors() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps: [checkout]
              build:
                docker: [{image: alpine}]
                steps: [checkout]
            """)
        #expect(errors.map(\.code) == [.syntax], "\(errors.summary)")
        #expect(errors.first?.message.contains("\"build\"") == true)
    }

    @Test(arguments: ["", "   \n", "# just a comment\n", "---\n", "~\n"])
    func emptyDocumentIsASyntaxError(yaml: String) {
        let errors = compileErrors(yaml)
        #expect(errors.map(\.code) == [.syntax], "\(errors.summary)")
        #expect(errors.first?.message.contains("empty") == true)
    }

    @Test(arguments: ["- a\n- b\n", "just text\n", "42\n", "\"version: 2.1\"\n"])
    func topLevelMustBeAMapping(yaml: String) {
        let errors = compileErrors(yaml)
        #expect(errors.map(\.code) == [.syntax], "\(errors.summary)")
        #expect(errors.first?.message.contains("mapping") == true)
    }

    @Test func severalDocumentsAreASyntaxError() {
        let errors = compileErrors("version: 2.1\n---\nversion: 2\n")
        #expect(errors.map(\.code) == [.syntax], "\(errors.summary)")
    }

    @Test(arguments: ["3", "2.2", "\"1\"", "two", "[2]", "", "2.10"])
    func badVersionIsAnError(version: String) {
        let errors = compileErrors("""
            version: \(version)
            jobs:
              build:
                docker: [{image: alpine}]
                steps: [checkout]
            """)
        #expect(errors.map(\.path) == ["version"], "\(errors.summary)")
        #expect(errors.first?.code == .invalid)
    }

    @Test func missingVersionIsAnError() {
        let errors = compileErrors("""
            jobs:
              build:
                docker: [{image: alpine}]
                steps: [checkout]
            """)
        #expect(errors.map(\.path) == ["version"], "\(errors.summary)")
        #expect(errors.first?.message.contains("missing") == true)
    }

    @Test func unknownTopLevelKeysHoldingAnchorsAreIgnored() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2
            references:
              image: &image
                - image: cimg/go:1.22
            defaults: &defaults
              working_directory: ~/go/src/app
            jobs:
              build:
                <<: *defaults
                docker: *image
                steps: [checkout]
            """)))
        #expect(job.executor == .docker(images: [DockerImagePlan(image: "cimg/go:1.22")]))
        #expect(job.workingDirectory == "~/go/src/app")
    }

    @Test func anchorsAliasesAndMergeKeys() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            x-env: &env
              A: from-anchor
              B: from-anchor
            x-more: &more
              C: from-more
              B: from-more
            x-job: &job
              docker:
                - image: alpine
              working_directory: /anchored
              environment:
                <<: [*env, *more]
                B: own
                D: own
              steps:
                - checkout
            jobs:
              build:
                <<: *job
                working_directory: /own
              test: *job
            workflows:
              main:
                jobs: [build, test]
            """))
        let jobs = try #require(plan.workflows.first?.jobs)
        #expect(jobs.map(\.name) == ["build", "test"])
        #expect(jobs[0].job?.workingDirectory == "/own")
        #expect(jobs[1].job?.workingDirectory == "/anchored")
        // Merged keys first (earlier source wins), then own keys; own values win.
        #expect(jobs[0].job?.environment == [
            EnvVar("A", "from-anchor"), EnvVar("B", "own"), EnvVar("C", "from-more"), EnvVar("D", "own"),
        ])
        #expect(jobs[0].job?.steps == [.checkout(CheckoutStep())])
    }

    @Test func nestedMergeKeys() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            base: &base
              docker: [{image: alpine}]
              steps: [checkout]
            middle: &middle
              <<: *base
              parallelism: 2
            jobs:
              build:
                <<: *middle
                resource_class: small
            """)))
        #expect(job.parallelism == 2)
        #expect(job.resourceClass == "small")
        #expect(job.steps == [.checkout(CheckoutStep())])
    }

    @Test func redefinedAnchorIsAcceptedAndTheLaterDefinitionWins() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker:
                  - image: &img alpine:3.18
                steps:
                  - run: &cmd echo first
                  - run: *cmd
              test:
                docker:
                  - image: &img alpine:3.20
                steps:
                  - run: &cmd echo second
                  - run: *cmd
              deploy:
                docker:
                  - image: *img
                steps:
                  - run: *cmd
            workflows:
              main:
                jobs: [build, test, deploy]
            """))
        let jobs = try #require(plan.workflows.first?.jobs)
        #expect(jobs[0].job?.steps.map(\.displayName) == ["echo first", "echo first"])
        #expect(jobs[1].job?.steps.map(\.displayName) == ["echo second", "echo second"])
        #expect(jobs[2].job?.executor == .docker(images: [DockerImagePlan(image: "alpine:3.20")]))
        #expect(jobs[2].job?.steps.map(\.displayName) == ["echo second"])
    }

    @Test func badMergeValueIsAnError() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build:
                <<: not-a-mapping
                docker: [{image: alpine}]
                steps: [checkout]
            """)
        #expect(errors.map(\.path) == ["jobs.build.<<"], "\(errors.summary)")
    }

    @Test func undefinedAliasIsASyntaxError() {
        let errors = compileErrors("""
            version: 2.1
            jobs:
              build: *nothing
            """)
        #expect(errors.map(\.code) == [.syntax], "\(errors.summary)")
        #expect(errors.first?.message.contains("line 3") == true)
    }

    @Test func aliasBombIsRefused() {
        var yaml = "version: 2.1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...9 {
            let refs = Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ")
            yaml += "a\(level): &a\(level) [\(refs)]\n"
        }
        yaml += "jobs:\n  build:\n    docker: [{image: alpine}]\n    steps: [checkout]\n    parallelism: *a9\n"
        let errors = compileErrors(yaml)
        #expect(errors.map(\.code) == [.syntax], "\(errors.summary)")
        #expect(errors.first?.message.contains("aliases") == true)
    }

    @Test func severalErrorsAreReportedAtOnce() {
        let errors = compileErrors("""
            version: 2.1
            orbs:
              node: circleci/node@5
            jobs:
              build:
                docker:
                  - {}
                steps:
                  - run:
                      command: make
                      no_output_timeout: soon
                  - save_cache:
                      key: k
              test:
                machine: {image: ubuntu-2204:current}
                resource_class: windows.medium
                steps: [checkout]
            workflows:
              ci:
                jobs:
                  - build
                  - test:
                      requires: [biuld]
            """)
        #expect(Set(errors.map(\.path)) == [
            "orbs.node", "jobs.build.docker[0].image", "jobs.build.steps[0].run.no_output_timeout",
            "jobs.build.steps[1].save_cache.paths", "jobs.test.resource_class", "workflows.ci.jobs[1].requires[0]",
        ], "\(errors.summary)")
        #expect(errors.count == 6)
        #expect(errors.first(at: "orbs.node")?.message.contains("not available offline") == true)
        #expect(errors.first(at: "jobs.build.steps[1].save_cache.paths")?.message == "missing required key \"paths\"")
        #expect(!errors.contains { $0.code == .unsupported })
        #expect(errors.first(at: "jobs.test.resource_class")?.code == .invalid)
    }

    @Test func errorDescriptionsIncludeThePath() {
        let errors = compileErrors("version: 3\njobs: {}\n")
        #expect(errors.first.map { "\($0)" }?.hasPrefix("version: ") == true, "\(errors.summary)")
    }
}

@Suite("Robustness")
struct RobustnessTests {
    @Test func deeplyNestedValuesDoNotCrash() {
        for depth in [500, 990, 5000] {
            let flow = "version: 2.1\nx: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            let errors = compileErrors(flow + "\n")
            #expect(!errors.isEmpty)
            var block = "version: 2.1\n"
            for level in 0..<min(depth, 900) {
                block += String(repeating: " ", count: level) + "k:\n"
            }
            #expect(!compileErrors(block).isEmpty)
        }
    }

    @Test func checkoutAcceptsAName() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - checkout:
                      name: Check out
                      path: src
                  - checkout:
            """)))
        #expect(job.steps == [.checkout(CheckoutStep(name: "Check out", path: "src")), .checkout(CheckoutStep())])
    }

    @Test func oddScalarsAndKeysDoNotCrash() {
        let inputs = [
            "version: 2.1\njobs:\n  ? [a, b]\n  : {docker: [{image: x}], steps: [checkout]}\n",
            "version: 2.1\njobs:\n  build:\n    docker: [{image: !!binary aGk=}]\n    steps: [checkout]\n",
            "version: !!str 2.1\njobs: !!map {}\n",
            "version: 2.1\njobs:\n  1: {docker: [{image: x}], steps: [checkout]}\n  ~: {}\n",
            "version: 2.1\n<<: {jobs: {build: {docker: [{image: x}], steps: [checkout]}}}\n",
            "version: 2.1\njobs:\n  build: &b\n    docker: [{image: x}]\n    steps: [checkout]\n    <<: *b\n",
            "%YAML 1.1\n---\nversion: 2.1\n",
            "\u{FEFF}version: 2.1\n",
            "version: 2.1\njobs:\n  build:\n    docker: [{image: x}]\n    steps:\n      - run: \"\u{1F680} deploy\"\n",
        ]
        for input in inputs {
            do {
                _ = try ConfigCompiler().compile(yaml: input)
            } catch {
                #expect(!error.errors.isEmpty, "\(input.debugDescription)")
                #expect(error.errors.allSatisfy { !$0.message.isEmpty })
            }
        }
    }
}
