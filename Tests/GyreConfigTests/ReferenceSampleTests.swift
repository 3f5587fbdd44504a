import Foundation
import GyreConfig
import GyreModel
import Testing

/// Runs the compiler over the reference configs (copies of
/// `../shared/reference/config-samples/`, kept in `Tests/Fixtures/config-samples`
/// so the suite needs nothing outside the repository).
///
/// Validating: every `test__*` sample is valid and every `negative_test__*`
/// sample is rejected naming the path and the problem. Processing: most
/// `test__*` samples are fragments written to exercise CircleCI's JSON schema
/// (jobs, executors, registry orbs or pipeline parameters they never define,
/// jobs without a workflow), so compiling them to a plan must fail for
/// exactly those reasons, each error readable and with a path.
@Suite("Reference config samples")
struct ReferenceSampleTests {
    static let samplesDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // GyreConfigTests
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("Fixtures/config-samples")
        .standardizedFileURL

    static func sampleFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: samplesDirectory, includingPropertiesForKeys: nil)
            .filter { ["yml", "yaml", "json"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func checkWellFormed(_ yaml: String, name: String) {
        do {
            let plan = try ConfigCompiler().compile(yaml: yaml)
            #expect(!plan.workflows.isEmpty, "\(name): a plan without workflows")
        } catch {
            checkReported(error, name: name)
        }
        do {
            try ConfigCompiler().validate(yaml: yaml)
        } catch {
            checkReported(error, name: "\(name) (validating)")
        }
    }

    static func checkReported(_ error: ConfigErrors, name: String) {
        #expect(!error.errors.isEmpty, "\(name): errors thrown but none listed")
        for problem in error.errors {
            #expect(!problem.message.isEmpty, "\(name): empty message")
            #expect(!problem.path.isEmpty || problem.code == .syntax, "\(name): no path for \(problem)")
        }
    }

    static let noBuildJob = "there are no workflows, so the job named \"build\" would run"
    static let noJobs = "missing required key \"jobs\""
    static let offline = "is not available offline"
    static func undefined(_ job: String) -> String { "job \"\(job)\" is not defined under jobs" }

    /// Why each incomplete `test__*` sample cannot run: (path, part of the message).
    static let incomplete: [String: [(String, String)]] = [
        "test__3054.yml": [("jobs", noBuildJob)],
        "test__570.yaml": [("jobs", noBuildJob)],
        "test__chromeless.json": [
            // The sample passes gcloud-service-key to a command whose parameter is gcloud_service_key.
            ("jobs.build_node_6.steps[9].build-image.gcloud-service-key", "unknown parameter \"gcloud-service-key\""),
            ("jobs.build_node_6.steps[9].build-image", "missing required parameter \"gcloud_service_key\""),
        ],
        "test__conditional-job.json": [
            ("jobs.conditional-job.executor", "executor \"node\" is not defined"), ("jobs", noBuildJob),
        ],
        "test__contexts.json": [
            ("jobs", noJobs), ("workflows.my-workflow.jobs[0]", undefined("my-job-multiple")),
            ("workflows.my-workflow.jobs[0]", undefined("my-job-single")),
        ],
        "test__ecr.json": [
            ("orbs.aws-ecr", "orb circleci/aws-ecr@6.1.0 \(offline)"),
            ("workflows.simple_build_and_push.jobs[0]", "comes from an orb that could not be loaded"),
        ],
        "test__executors.json": [
            ("jobs.my-job.steps[0]", "a run step needs a command"), ("jobs", noBuildJob),
        ],
        "test__inline-orb.json": [("jobs", "the config has no job to run")],
        "test__job-executors.json": [
            ("jobs.object-executor.executor.name", "executor \"executor-2\" is not defined"),
            ("jobs.object-executor-with-parameters.executor.name", "executor \"executor-3\" is not defined"),
            ("jobs.string-executor.executor", "executor \"executor-1\" is not defined"), ("jobs", noBuildJob),
        ],
        "test__logical-matches.json": [("jobs", noJobs)],
        "test__machine-executor.yaml": [("jobs", noBuildJob)],
        "test__matrix-simple.json": [("jobs", noJobs), ("workflows.test.jobs[0]", undefined("m1"))],
        "test__matrix.json": [
            ("jobs", noJobs), ("workflows.my-workflow.jobs[0]", undefined("simple-matrix")),
            ("workflows.my-workflow.jobs[1]", undefined("matrix-with-exclude")),
            ("workflows.my-workflow.jobs[2]", undefined("matrix-with-alias")),
        ],
        "test__orbs.json": [("orbs.welcome", offline), ("orbs.welcome2", offline)],
        "test__parallelism.json": [
            ("jobs.parallel-integer-job.executor", "executor \"machine-executor\" is not defined"),
            ("jobs.parallel-string-job.executor", "executor \"machine-executor\" is not defined"), ("jobs", noBuildJob),
        ],
        "test__resource-classes-and-images.yaml": [("jobs", noBuildJob)],
        "test__version-2.0.json": [("jobs", noJobs)],
        "test__version-2.1.json": [("jobs", noJobs)],
        "test__version-2.json": [("jobs", noJobs)],
        "test__workflow-job-override.yaml": [("orbs.welcome", offline)],
        "test__workflow-job-requires.yaml": [
            ("jobs", noJobs), ("workflows.test-workflow.jobs[0]", undefined("foo")),
            ("workflows.test-workflow.jobs[1]", undefined("bar")), ("workflows.test-workflow.jobs[2]", undefined("baz")),
            ("workflows.test-workflow.jobs[3]", undefined("qux")),
        ],
        "test__workflows.json": [
            ("workflows.workflow-with-logical-when.when.and[0]", "pipeline parameter \"rollback\", which is not declared"),
            ("workflows.workflow-with-unless.unless", "pipeline parameter \"run_rollback_wf\", which is not declared"),
            ("workflows.workflow-with-when.when", "pipeline parameter \"rollback\", which is not declared"),
            ("jobs", noJobs), ("workflows.workflow-with-logical-when.jobs", noJobs),
            ("workflows.workflow-with-when.jobs[0]", undefined("rollback-job")),
        ],
    ]

    /// Each negative sample and the path its main error must name.
    static let negative: [String: (String, String)] = [
        "negative_test__conflicting-resource-class.yml": ("executors.dual-rc.resource_class", "given both"),
        "negative_test__invalid-job-name-format.yml": ("jobs.this_name_is valid until . or , then bye_bye",
                                                       "invalid job name"),
        "negative_test__invalid-machine-executor-1.yml": ("executors.linux-on-windows.resource_class",
                                                          "not for a machine (Linux) executor"),
        "negative_test__invalid-machine-executor-2.yml": ("executors.xcode-on-linux.resource_class",
                                                          "not a macOS resource class"),
        "negative_test__invalid-workflow-job-requires.yml": ("workflows.test-workflow.jobs[1].requires[0].foo",
                                                             "unknown job status \"invalid_job_status\""),
    ]

    @Test func everyPositiveSampleValidates() throws {
        let files = try Self.sampleFiles().filter { $0.lastPathComponent.hasPrefix("test__") }
        #expect(files.count >= 20, "samples not found in \(Self.samplesDirectory.path)")
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            do {
                try ConfigCompiler().validate(yaml: text)
            } catch {
                Issue.record("\(file.lastPathComponent) is not valid:\n\(error.errors.summary)")
            }
        }
    }

    @Test func negativeSamplesAreInvalidNamingThePathAndTheProblem() throws {
        let files = try Self.sampleFiles().filter { $0.lastPathComponent.hasPrefix("negative_test__") }
        #expect(files.count == Self.negative.count)
        for file in files {
            let name = file.lastPathComponent
            let text = try String(contentsOf: file, encoding: .utf8)
            let (path, fragment) = try #require(Self.negative[name], "\(name) has no expectation")
            do {
                try ConfigCompiler().validate(yaml: text)
                Issue.record("\(name) validated")
            } catch {
                #expect(error.errors.contains { $0.path == path && $0.message.contains(fragment) && $0.code == .invalid },
                        "\(name):\n\(error.errors.summary)")
            }
            // Processing rejects them for the same reason.
            do {
                _ = try ConfigCompiler().compile(yaml: text)
                Issue.record("\(name) compiled")
            } catch {
                #expect(error.errors.contains { $0.path == path && $0.message.contains(fragment) && $0.code == .invalid },
                        "\(name) (processing):\n\(error.errors.summary)")
            }
        }
    }

    @Test func processingTheFragmentsFailsOnlyForWhatTheyLeaveUndefined() throws {
        let files = try Self.sampleFiles().filter { $0.lastPathComponent.hasPrefix("test__") }
        for file in files {
            let name = file.lastPathComponent
            let text = try String(contentsOf: file, encoding: .utf8)
            let expected = Self.incomplete[name] ?? []
            do {
                let plan = try ConfigCompiler().compile(yaml: text)
                #expect(expected.isEmpty, "\(name): compiled, but expected errors \(expected)")
                #expect(!plan.workflows.isEmpty, "\(name)")
            } catch {
                let summary = error.errors.summary
                #expect(error.errors.count == expected.count, "\(name):\n\(summary)")
                for (path, fragment) in expected {
                    #expect(error.errors.contains { $0.path == path && $0.message.contains(fragment) },
                            "\(name): no error at \(path) containing \"\(fragment)\":\n\(summary)")
                }
                #expect(error.errors.allSatisfy { $0.code == .invalid }, "\(name):\n\(summary)")
            }
        }
    }

    /// test__workflow-job-requires with its jobs defined: the statuses reach the plan.
    @Test func theRequiresSampleCompilesWithItsStatusesOnceItsJobsExist() throws {
        var text = try String(contentsOf: Self.samplesDirectory.appendingPathComponent("test__workflow-job-requires.yaml"),
                              encoding: .utf8)
        text += """

            jobs:
              foo: &job {machine: true, resource_class: gyre/host, steps: [{run: "true"}]}
              bar: *job
              baz: *job
              qux: *job
            """
        let plan = try ConfigCompiler().compile(yaml: text)
        let qux = try #require(plan.workflows.first?.jobs.last)
        #expect(qux.requires == ["foo", "bar", "baz"])
        #expect(qux.requiredStatuses == ["bar": [.failed], "baz": [.success, .canceled]])
        #expect(qux.acceptedStatuses(of: "foo") == [.success])
    }

    /// The fragments' own definitions compile once the pieces they leave out
    /// (executors, a workflow) are added.
    @Test func completeFragmentsCompileWhenTheMissingPiecesAreAdded() throws {
        let executors = """
            version: 2.1
            executors:
              node: {docker: [{image: "cimg/node:20"}]}
              machine-executor: {machine: true, resource_class: gyre/host}
            jobs:
              conditional-job:
                executor: node
                steps:
                  - checkout
                  - when: {condition: true, steps: [{run: always-run}]}
                  - unless: {condition: true, steps: [{run: never-run}]}
              parallel-string-job:
                executor: machine-executor
                parallelism: << parameters.parallel >>
                parameters:
                  parallel: {default: 5, type: integer}
                steps: [{run: echo}]
            workflows:
              main:
                jobs: [conditional-job, parallel-string-job]
            """
        let plan = try ConfigCompiler().compile(yaml: executors)
        let jobs = try #require(plan.workflows.first?.jobs)
        #expect(jobs.first?.job?.steps.map(\.displayName) == ["Checkout code", "always-run"])
        #expect(jobs.last?.job?.parallelism == 5)
    }

    /// Every prefix and a sweep of one-character corruptions of each sample:
    /// garbage in, errors out, never a crash.
    @Test func truncatedAndCorruptedSamplesNeverCrash() throws {
        let corruptions: [Character] = [":", "-", " ", "\t", "\"", "&", "*", "[", "{", "#", "\n", "<", "!", "|", "\u{0}"]
        for file in try Self.sampleFiles() {
            let text = Array(try String(contentsOf: file, encoding: .utf8))
            let name = file.lastPathComponent
            for end in stride(from: 0, through: text.count, by: 3) {
                Self.checkWellFormed(String(text[..<end]), name: "\(name) prefix \(end)")
            }
            for (offset, position) in stride(from: 0, to: text.count, by: 7).enumerated() {
                var corrupted = text
                corrupted[position] = corruptions[offset % corruptions.count]
                Self.checkWellFormed(String(corrupted), name: "\(name) corrupted at \(position)")
            }
        }
    }
}
