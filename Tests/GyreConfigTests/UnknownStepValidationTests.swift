import GyreConfig
import GyreModel
import Testing

/// Validation reports a step name that is neither built in nor defined, with or without a
/// `commands:` section, leaving `orb/name` steps to processing.
@Suite("Validation reports unknown steps as processing does")
struct UnknownStepValidationTests {
    @Test func validationReportsAnUnknownStepWithoutACommandsSection() {
        for extra in ["", "orbs:\n  tools: {commands: {lint: {steps: [checkout]}}}\n"] {
            let yaml = """
                version: 2.1
                \(extra)jobs:
                  build:
                    docker: [{image: cimg/base:stable}]
                    steps:
                      - checkout
                      - no_such_step
                      - tools/lint
                workflows:
                  main:
                    jobs: [build]
                """
            let validation = validationErrors(yaml)
            let processing = compileErrors(yaml).filter { $0.path == "jobs.build.steps[1]" }
            #expect(validation.count == 1, "\(validation.summary)")
            #expect(validation.contains { $0.path == "jobs.build.steps[1]" && $0.message == "unknown step \"no_such_step\"" },
                    "\(validation.summary)")
            #expect(processing.map(\.message) == validation.filter { $0.path == "jobs.build.steps[1]" }.map(\.message))
        }
    }

    @Test func validationLeavesRegistryOrbStepsAndFragmentJobsToProcessing() {
        // A registry orb's command is resolved by processing only.
        let orbSteps = validationErrors("""
            version: 2.1
            orbs:
              node: circleci/node@5.0.2
            jobs:
              build: {docker: [{image: alpine}], steps: [checkout, node/install-packages]}
            """)
        #expect(orbSteps.isEmpty, "\(orbSteps.summary)")
        // A job whose executor is defined elsewhere is a fragment: processing never reads its steps.
        let fragment = validationErrors("""
            version: 2.1
            jobs:
              build: {executor: node, steps: [checkout, always-run]}
            """)
        #expect(fragment.isEmpty, "\(fragment.summary)")
        // Unknown steps in pre-steps are reported by both.
        let preSteps = """
            version: 2.1
            jobs:
              build: {docker: [{image: alpine}], steps: [checkout]}
            workflows:
              main:
                jobs: [{build: {pre-steps: [no_such_step]}}]
            """
        for errors in [validationErrors(preSteps), compileErrors(preSteps)] {
            #expect(errors.map(\.path) == ["workflows.main.jobs[0].pre-steps[0]"], "\(errors.summary)")
        }
    }
}
