import Foundation
import GyreConfig
import GyreModel
import Testing

/// Validates `yaml`, returning its errors ([] when valid).
func validationErrors(_ yaml: String) -> [ConfigError] {
    do {
        try ConfigCompiler().validate(yaml: yaml)
        return []
    } catch {
        return error.errors
    }
}

/// `ConfigCompiler.validate`: structure and values are checked as processing
/// checks them; references processing resolves are not.
@Suite("Validation versus processing")
struct ValidationTests {
    @Test func referencesThatOnlyProcessingResolvesAreValid() {
        let fragment = """
            version: 2.1
            orbs:
              node: circleci/node@5.0.2
            jobs:
              lint:
                executor: node/default
                steps: [checkout, node/install-packages, {run: "true"}]
              test:
                executor: somewhere-else
                steps: [checkout]
              cloud:
                machine: {image: ubuntu-2204:current}
                resource_class: large
                steps: [checkout]
              mac:
                macos: {xcode: 15.4.0}
                resource_class: macos.m1.medium.gen1
                steps: [checkout]
            workflows:
              main:
                jobs:
                  - node/deploy
                  - node/test:
                      requires: [node/deploy]
              rollback:
                when: << pipeline.parameters.rollback >>
                jobs: [lint]
            """
        #expect(validationErrors(fragment).isEmpty, "\(validationErrors(fragment).summary)")
        // Processing needs all of it.
        let errors = compileErrors(fragment)
        #expect(errors.contains { $0.path == "orbs.node" && $0.message.contains("is not available offline") },
                "\(errors.summary)")
        #expect(errors.contains { $0.path == "jobs.test.executor" }, "\(errors.summary)")
        // Machine and macOS classes are placement matters, not config errors.
        #expect(!errors.contains { $0.path.hasPrefix("jobs.cloud") || $0.path.hasPrefix("jobs.mac") }, "\(errors.summary)")
        #expect(errors.contains { $0.path == "workflows.main.jobs[0]" }, "\(errors.summary)")

        // A bare name the file's own jobs, executors or commands would have to define is not a
        // reference processing could resolve: validation refuses it as processing would.
        let undefined = validationErrors(fragment.replacingOccurrences(of: "- node/deploy", with: "- deploy-from-elsewhere")
            .replacingOccurrences(of: "requires: [node/deploy]", with: "requires: [deploy-from-elsewhere]"))
        #expect(undefined.contains { $0.path == "workflows.main.jobs[0]" && $0.message.contains("is not defined under jobs") },
                "\(undefined.summary)")
        let version2 = validationErrors("version: 2\njobs:\n  build:\n    docker: [{image: a}]\n    steps: [chekout]\n")
        #expect(version2.contains { $0.path == "jobs.build.steps[0]" && $0.message.contains("unknown step \"chekout\"") },
                "\(version2.summary)")
        let withCommands = validationErrors("""
            version: 2.1
            commands:
              greet: {steps: [{run: echo hi}]}
            jobs:
              build: {docker: [{image: a}], steps: [greet, great]}
            """)
        #expect(withCommands.map(\.path) == ["jobs.build.steps[1]"], "\(withCommands.summary)")
    }

    @Test func jobsWithoutWorkflowsAndWorkflowsWithoutJobsAreValid() {
        #expect(validationErrors("version: 2.1\njobs:\n  lint: {docker: [{image: alpine}], steps: [checkout]}\n").isEmpty)
        #expect(validationErrors("version: 2.1\nworkflows:\n  main:\n    jobs: [a, {b: {requires: [a]}}]\n").isEmpty)
    }

    @Test func structureAndValuesAreStillChecked() {
        let errors = validationErrors("""
            version: 2.1
            jobs:
              bad.name:
                docker: [{image: alpine}]
                steps: [checkout]
              both:
                machine: {image: ubuntu-2204:current, resource_class: gyre/host}
                resource_class: gyre/host
                steps: [checkout]
              windows-on-linux:
                machine: {image: ubuntu-2204:current}
                resource_class: windows.medium
                steps: [checkout]
              linux-on-mac:
                macos: {xcode: 15.4.0}
                resource_class: large
                steps: [checkout]
              typo:
                docker: [{image: alpine}]
                stpes: [checkout]
                steps: [chekout, {run: {command: x, no_output_timeout: forever}}]
            workflows:
              main:
                triggers:
                  - schedule: {cron: "99 * * * *", filters: {branches: {only: main}}}
                jobs:
                  - lint
                  - test:
                      requires: [{lint: finished}]
                      filters: {branches: {only: "/[unclosed/"}}
                  - deploy: {requires: [missing]}
            """)
        let expected = [
            "jobs.bad.name", "jobs.both.machine.resource_class", "jobs.windows-on-linux.resource_class",
            "jobs.linux-on-mac.resource_class", "jobs.typo.stpes",
            "jobs.typo.steps[1].run.no_output_timeout", "workflows.main.triggers[0].schedule.cron",
            "workflows.main.jobs[1].requires[0].lint", "workflows.main.jobs[2]",
            "workflows.main.jobs[1].filters.branches.only",
        ]
        for path in expected {
            #expect(errors.contains { $0.path == path && $0.code == .invalid }, "no error at \(path):\n\(errors.summary)")
        }
    }

    @Test func aJobWhoseExecutorOrCommandsAreElsewhereIsStillChecked() {
        let valid = """
            version: 2.1
            orbs:
              node: circleci/node@5.0.2
            jobs:
              only-orb-steps:
                executor: node/default
                resource_class: large
                steps: [node/install-packages]
            """
        #expect(validationErrors(valid).isEmpty, "\(validationErrors(valid).summary)")
        let errors = validationErrors("""
            version: 2.1
            jobs:
              build:
                executor: somewhere-else
                parallelism: many
                steps: [chekout, {run: {command: make, when: sometimes}}]
            """)
        // An unknown step may be a command defined elsewhere: only processing says it is unknown.
        #expect(!errors.contains { $0.path == "jobs.build.steps[0]" }, "\(errors.summary)")
        for path in ["jobs.build.parallelism", "jobs.build.steps[1].run.when"] {
            #expect(errors.contains { $0.path == path }, "no error at \(path):\n\(errors.summary)")
        }
    }

    @Test func aJobWithRequiredParametersIsCheckedWithPlaceholders() {
        let job = """
            version: 2.1
            jobs:
              build:
                parameters:
                  n: {type: integer}
                  flag: {type: boolean}
                  mode: {type: enum, enum: [fast, slow]}
                  exec: {type: executor}
                  extra: {type: steps}
                  var: {type: env_var_name}
                  label: {type: string}
                executor: << parameters.exec >>
                parallelism: << parameters.n >>
                steps:
                  - run: echo << parameters.mode >> << parameters.label >> $<< parameters.var >>
                  - when: {condition: << parameters.flag >>, steps: << parameters.extra >>}
                  - << parameters.extra >>
                  - run: {command: x, no_output_timeout: << parameters.label >>wrong}
            """
        let errors = validationErrors(job)
        #expect(errors.count == 1 && errors.first?.path == "jobs.build.steps[3].run.no_output_timeout", "\(errors.summary)")
    }

    @Test func inlineOrbDefinitionsAreChecked() {
        let errors = validationErrors("""
            version: 2.1
            orbs:
              tools:
                jobs:
                  lint:
                    docker: [{image: alpine}]
                    parallelism: 0
                    steps: [checkout]
                executors:
                  mac: {macos: {xcode: 15.4.0}, resource_class: large}
            """)
        #expect(errors.contains { $0.path == "orbs.tools.jobs.lint.parallelism" }, "\(errors.summary)")
        #expect(errors.contains { $0.path == "orbs.tools.executors.mac.resource_class" }, "\(errors.summary)")
    }

    @Test func dockerResourceClasses() {
        func job(_ resourceClass: String) -> String {
            "version: 2.1\njobs:\n  build: {docker: [{image: alpine}], resource_class: \(resourceClass), steps: [checkout]}\n"
        }
        // What the build agents offer: valid and processed.
        for runnable in ["small", "xlarge", "2xlarge", "2xlarge+", "medium.gen2", "2xlarge+.gen2"] {
            #expect(validationErrors(job(runnable)).isEmpty, "\(runnable)")
            #expect(compilePlan(job(runnable)).map { singleJob($0)?.resourceClass } == runnable)
        }
        // Classes only some builders offer: valid and processed (the job waits for such a builder).
        for special in ["arm.large", "gpu.nvidia.small", "acme/containers"] {
            #expect(validationErrors(job(special)).isEmpty, "\(special): \(validationErrors(job(special)).summary)")
            #expect(compilePlan(job(special)).map { singleJob($0)?.resourceClass } == special)
        }
        for wrong in ["windows.medium", "macos.m1.medium.gen1", "huge"] {
            let errors = validationErrors(job(wrong))
            #expect(errors.count == 1 && errors.first?.path == "jobs.build.resource_class", "\(wrong): \(errors.summary)")
        }
        let executor = "version: 2.1\nexecutors:\n  e: {docker: [{image: alpine}], resource_class: windows.large}\n"
        #expect(validationErrors(executor).first?.path == "executors.e.resource_class")
    }

    @Test func requiresStatusesReachThePlan() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            jobs:
              build: {machine: true, resource_class: gyre/host, steps: [{run: "true"}]}
              test:
                machine: true
                resource_class: gyre/host
                parameters: {n: {type: integer, default: 1}}
                steps: [{run: "true"}]
            workflows:
              main:
                jobs:
                  - build
                  - test: {matrix: {parameters: {n: [1, 2]}, alias: tests}}
                  - build: {requires: [{build: failed}], name: notify}
                  - build: {name: after-tests, requires: [{tests: [success, canceled]}]}
                  - build: {name: plain, requires: [{build: success}, notify]}
            """))
        let jobs = try #require(plan.workflows.first?.jobs)
        let byName = Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0) })
        #expect(byName["notify"]?.requiredStatuses == ["build": [.failed]])
        #expect(byName["after-tests"]?.requires == ["test-1", "test-2"])
        #expect(byName["after-tests"]?.requiredStatuses == ["test-1": [.success, .canceled], "test-2": [.success, .canceled]])
        #expect(byName["plain"]?.requiredStatuses == [:])
        #expect(byName["plain"]?.requires == ["build", "notify"])
    }

    @Test func anUnknownRequiresStatusNamesTheEntry() {
        for (statuses, path) in [("bogus", "requires[0].build"), ("[success, nope]", "requires[0].build[1]"),
                                 ("[]", "requires[0].build"), ("{a: b}", "requires[0].build")] {
            let yaml = """
                version: 2.1
                jobs:
                  build: {machine: true, resource_class: gyre/host, steps: [{run: "true"}]}
                  test: {machine: true, resource_class: gyre/host, steps: [{run: "true"}]}
                workflows:
                  main:
                    jobs:
                      - build
                      - test: {requires: [{build: \(statuses)}]}
                """
            for errors in [compileErrors(yaml), validationErrors(yaml)] {
                #expect(errors.contains { $0.path == "workflows.main.jobs[1].\(path)" && $0.code == .invalid },
                        "\(statuses):\n\(errors.summary)")
            }
        }
    }

    @Test func storedPlansWithoutStatusesStillDecode() throws {
        let old = #"{"name": "b", "requires": ["a"], "type": "build", "contexts": []}"#
        let job = try JSONDecoder().decode(WorkflowJobPlan.self, from: Data(old.utf8))
        #expect(job.requiredStatuses.isEmpty)
        #expect(job.acceptedStatuses(of: "a") == [.success])
        let encoded = String(decoding: try JSONEncoder().encode(job), as: UTF8.self)
        #expect(!encoded.contains("requiredStatuses"))
        var failed = job
        failed.requiredStatuses = ["a": [.failed]]
        let again = try JSONDecoder().decode(WorkflowJobPlan.self, from: JSONEncoder().encode(failed))
        #expect(again.acceptedStatuses(of: "a") == [.failed])
    }
}
