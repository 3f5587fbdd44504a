import GyreConfig
import GyreModel
import Testing

/// A `steps` step (`- steps: << parameters.x >>`, x of type `steps`) splices a list of steps
/// in place (CircleCI's reusable config reference, "Steps" parameters).
@Suite("The `steps` step")
struct StepsStepTests {
    @Test func aStepsStepSplicesAStepsParameterIntoACommand() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            commands:
              run-tests:
                parameters:
                  after-deps: {type: steps, default: []}
                steps:
                  - run: make deps
                  - steps: << parameters.after-deps >>
                  - run: make test
            jobs:
              build:
                docker: [{image: cimg/base:stable}]
                steps:
                  - run-tests:
                      after-deps:
                        - run: echo one
                        - run: echo two
                  - run-tests
            workflows:
              main:
                jobs: [build]
            """))
        // The second invocation takes the default: an empty list adds nothing.
        #expect(runStepCommands(singleJob(plan)) == ["make deps", "echo one", "echo two", "make test", "make deps", "make test"])
    }

    @Test func aStepsStepWorksInJobsPreAndPostStepsAndNestedCommands() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            commands:
              wrap:
                parameters:
                  inner: {type: steps}
                steps:
                  - run: echo before
                  - steps: << parameters.inner >>
                  - run: echo after
              outer:
                parameters:
                  body: {type: steps}
                steps:
                  - wrap:
                      inner:
                        - run: echo outer-start
                        - steps: << parameters.body >>
            jobs:
              build:
                parameters:
                  extra: {type: steps, default: [{run: echo default-extra}]}
                docker: [{image: cimg/base:stable}]
                steps:
                  - steps: << parameters.extra >>
                  - steps: [{run: echo literal}]
                  - outer:
                      body:
                        - run: echo deepest
                        - when:
                            condition: true
                            steps:
                              - steps: [{run: echo in-when}]
            workflows:
              main:
                jobs:
                  - build:
                      pre-steps:
                        - steps: [{run: echo pre}]
                      post-steps:
                        - steps: []
                        - run: echo post
            """))
        #expect(runStepCommands(singleJob(plan)) == [
            "echo pre", "echo default-extra", "echo literal", "echo before", "echo outer-start", "echo deepest",
            "echo in-when", "echo after", "echo post",
        ])
    }

    @Test(arguments: [
        ("- steps: {run: echo hi}", "jobs.build.steps[0].steps", "expected a list of steps"),
        ("- steps: echo hi", "jobs.build.steps[0].steps", "expected a list of steps"),
        ("- steps:", "jobs.build.steps[0].steps", "expected a list of steps"),
        ("- steps", "jobs.build.steps[0]", "a steps step needs a list of steps"),
        ("- steps: [{no_such_step: {}}]", "jobs.build.steps[0].steps[0].no_such_step", "unknown step \"no_such_step\""),
    ])
    func aStepsStepThatIsNotAListOfStepsIsAnErrorAtItsPath(step: String, path: String, message: String) {
        let yaml = """
            version: 2.1
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  \(step)
                  - checkout
            """
        for errors in [compileErrors(yaml), validationErrors(yaml)] {
            #expect(errors.contains { $0.path == path && $0.message.contains(message) && $0.code == .invalid },
                    "\(step):\n\(errors.summary)")
            #expect(!errors.contains { $0.message.contains("unknown step \"steps\"") }, "\(errors.summary)")
        }
    }

    @Test func version2HasNoStepsStep() {
        let errors = compileErrors("version: 2\njobs:\n  build: {docker: [{image: a}], steps: [{steps: [checkout]}, checkout]}\n")
        #expect(errors.map(\.path) == ["jobs.build.steps[0].steps"], "\(errors.summary)")
        #expect(errors.first?.message == "unknown step \"steps\"", "\(errors.summary)")
    }

    @Test func aStepsParameterOfTheWrongShapeIsReportedWhereItIsSpliced() {
        // A string parameter spliced as steps is not a list.
        let errors = compileErrors("""
            version: 2.1
            commands:
              c:
                parameters: {s: {type: string, default: "run: x"}}
                steps: [{steps: << parameters.s >>}]
            jobs:
              build: {docker: [{image: alpine}], steps: [c]}
            """)
        #expect(errors.contains { $0.path == "commands.c.steps[0].steps" && $0.message.contains("expected a list of steps") },
                "\(errors.summary)")
    }
}
