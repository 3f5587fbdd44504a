import GyreConfig
import GyreModel
import Testing

/// Failure classes seen in real configs of well-known projects (one test per class).
@Suite struct RealWorldClassTests {
    func commands(_ plan: PipelinePlan?) -> [String] {
        singleJob(plan)?.steps.compactMap { if case .run(let run) = $0 { return run.command } else { return nil } } ?? []
    }

    @Test func hyphenatedBuiltinStepNamesAreTheBuiltinSteps() throws {
        let yaml = """
            version: 2
            jobs:
              build:
                docker: [{image: a}]
                steps:
                  - restore-cache: {keys: [v1-deps]}
                  - save-cache: {key: v1-deps, paths: [node_modules]}
                  - store-artifacts: {path: out}
            """
        #expect(validationErrors(yaml).isEmpty)
        let job = try #require(singleJob(compilePlan(yaml)))
        #expect(job.steps.map(\.kind) == ["restore_cache", "save_cache", "store_artifacts"])
        // A command of that name wins.
        let own = try #require(compilePlan("""
            version: 2.1
            commands:
              save-cache: {steps: [{run: echo mine}]}
            jobs:
              build: {docker: [{image: a}], steps: [save-cache]}
            """))
        #expect(commands(own) == ["echo mine"])
    }

    @Test func mustacheSectionsRenderOnTheParameterValue() throws {
        func render(_ werror: Bool) -> [String] {
            commands(compilePlan("""
                version: 2.1
                jobs:
                  build:
                    parameters: {werror: {type: boolean, default: \(werror)}, extra: {type: string, default: ""}}
                    docker: [{image: a}]
                    steps:
                      - run: make<<# parameters.werror >> -Werror<</ parameters.werror >><<^ parameters.werror >> -w<</ parameters.werror >><<# parameters.extra >> << parameters.extra >><</ parameters.extra >>
                workflows:
                  w: {jobs: [build]}
                """))
        }
        #expect(render(true) == ["make -Werror"])
        #expect(render(false) == ["make -w"])
        let unclosed = compileErrors("""
            version: 2.1
            jobs:
              build:
                parameters: {x: {type: boolean, default: true}}
                docker: [{image: a}]
                steps: [{run: "echo <<# parameters.x >>yes"}]
            workflows:
              w: {jobs: [build]}
            """)
        #expect(unclosed.contains { $0.message.contains("has no closing <</ parameters.x >>") }, "\(unclosed.summary)")
    }

    @Test func environmentMayBeOneKeyValueString() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build:
                docker: [{image: a}]
                environment:
                  TOXENV=py310
                steps: [checkout]
            workflows:
              w: {jobs: [build]}
            """)))
        #expect(job.environment == [EnvVar("TOXENV", "py310")])
    }

    @Test func oneFingerprintMayBeAString() throws {
        let job = try #require(singleJob(compilePlan("""
            version: 2
            jobs:
              build:
                docker: [{image: a}]
                steps: [{add_ssh_keys: {fingerprints: "bf:aa:ef:e3"}}]
            """)))
        guard case .addSSHKeys(let step) = job.steps.first else {
            Issue.record("expected add_ssh_keys")
            return
        }
        #expect(step.fingerprints == ["bf:aa:ef:e3"])
    }

    @Test func requiredStringParametersStandInWithAValueThatChecks() {
        let yaml = """
            version: 2.1
            jobs:
              test:
                parameters: {image: {type: string}, size: {type: string}, dir: {type: string}}
                docker: [{image: << parameters.image >>}]
                resource_class: << parameters.size >>
                working_directory: << parameters.dir >>
                steps: [checkout]
            workflows:
              w:
                jobs: [{test: {image: "cimg/base:stable", size: large, dir: /src}}]
            """
        #expect(validationErrors(yaml).isEmpty, "\(validationErrors(yaml).summary)")
        #expect(compilePlan(yaml) != nil)
    }

    @Test func version2JobsMayCarryAnEmptyStrayKey() {
        let yaml = "version: 2\njobs:\n  build:\n    sizebot:\n    docker: [{image: a}]\n    steps: [checkout]\n"
        #expect(validationErrors(yaml).isEmpty)
        #expect(compilePlan(yaml) != nil)
        #expect(!compileErrors("version: 2\njobs:\n  build:\n    stpes: [x]\n    docker: [{image: a}]\n    steps: [checkout]\n").isEmpty)
        #expect(!compileErrors("version: 2.1\njobs:\n  build:\n    sizebot:\n    docker: [{image: a}]\n    steps: [checkout]\n").isEmpty)
    }

    @Test func optionsBesideAWorkflowJobNameSayToIndentThem() {
        let errors = validationErrors("""
            version: 2.1
            jobs:
              test: {docker: [{image: a}], steps: [checkout]}
              build: {docker: [{image: a}], steps: [checkout]}
            workflows:
              main:
                jobs:
                  - test
                  - build:
                    requires: [test]
            """)
        #expect(errors.first?.path == "workflows.main.jobs[1]")
        #expect(errors.first?.message.contains("requires sits beside the job name \"build\"") == true, "\(errors.summary)")
    }

    @Test func jobsRequiringAnOrbJobThatCouldNotLoadAreNotReportedAgain() {
        let errors = compileErrors("""
            version: 2.1
            orbs:
              oss: acme/oss@1.0.0
            jobs:
              build: {docker: [{image: a}], steps: [checkout]}
            workflows:
              w:
                jobs:
                  - build
                  - oss/dry_run: {name: Dry-run, requires: [build]}
                  - approve: {type: approval, requires: [Dry-run]}
                  - build: {name: typo, requires: [biuld]}
            """)
        #expect(errors.contains { $0.path == "orbs.oss" })
        #expect(!errors.contains { $0.message.contains("\"Dry-run\"") }, "\(errors.summary)")
        #expect(errors.contains { $0.message.contains("requires job \"biuld\"") }, "\(errors.summary)")
    }
}
