import Foundation
import GyreConfig
import GyreModel
import Testing

@Suite("gyre config validate / process")
struct ConfigToolTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("config-\(UUID().uuidString).yml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static let valid = """
        version: 2.1
        parameters:
          target: {type: string, default: world}
        jobs:
          build:
            docker: [{image: alpine}]
            steps: [{run: echo << pipeline.parameters.target >> on << pipeline.git.branch >>}]
        workflows:
          main:
            jobs: [build]
        """

    @Test func validConfigExitsZero() throws {
        let file = try write(Self.valid)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let outcome = ConfigTool().validate(file: file)
        #expect(outcome.exitCode == 0)
        #expect(outcome.output.contains("valid"))
        #expect(outcome.errors.isEmpty)
    }

    @Test func configErrorsExitOneWithPathAndMessagePerLine() throws {
        let file = try write("""
            version: 2.1
            jobs:
              build:
                docker: [{}]
                steps: [chekout]
            """)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let outcome = ConfigTool().validate(file: file)
        #expect(outcome.exitCode == 1)
        let lines = outcome.errors.split(separator: "\n").map(String.init)
        #expect(lines.contains("jobs.build.docker[0].image: missing required key \"image\""), "\(outcome.errors)")
        // A step name that is neither built in nor an orb's (`orb/name`) is unknown: validation says so as
        // processing does, though the file has no commands: section.
        #expect(lines.contains("jobs.build.steps[0]: unknown step \"chekout\""), "\(outcome.errors)")
        let processed = ConfigTool().process(file: file)
        #expect(processed.exitCode == 1)
        #expect(processed.errors.contains("jobs.build.steps[0]: unknown step \"chekout\""), "\(processed.errors)")
    }

    @Test func validateAcceptsAFragmentThatProcessRejects() throws {
        let file = try write("""
            version: 2.1
            orbs:
              node: circleci/node@5.0.2
            workflows:
              main:
                jobs: [node/test, {deploy: {requires: [{node/test: failed}]}}]
            """)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let validated = ConfigTool().validate(file: file)
        #expect(validated.exitCode == 0, "\(validated.errors)")
        let processed = ConfigTool().process(file: file)
        #expect(processed.exitCode == 1)
        #expect(processed.errors.contains("orbs.node: orb circleci/node@5.0.2 is not available offline"), "\(processed.errors)")
    }

    @Test func unreadableFileAndBadParametersExitTwo() throws {
        #expect(ConfigTool().validate(file: "/nonexistent/config.yml").exitCode == 2)
        let file = try write(Self.valid)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let outcome = ConfigTool().process(file: file, parametersJSON: "[1, 2]")
        #expect(outcome.exitCode == 2)
        #expect(outcome.errors.contains("--parameters"))
    }

    @Test func processPrintsThePlanWithParametersAndBranch() throws {
        let file = try write(Self.valid)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let json = ConfigTool().process(file: file, parametersJSON: #"{"target": "moon"}"#, branch: "dev", format: .json)
        #expect(json.exitCode == 0, "\(json.errors)")
        let plan = try JSONDecoder().decode(PipelinePlan.self, from: Data(json.output.utf8))
        guard case .run(let step) = plan.workflows.first?.jobs.first?.job?.steps.first else {
            Issue.record("no run step in \(json.output)")
            return
        }
        #expect(step.command == "echo moon on dev")

        let yaml = ConfigTool().process(file: file)
        #expect(yaml.exitCode == 0)
        #expect(yaml.output.contains("echo world on "), "\(yaml.output)")
        #expect(yaml.output.contains("workflows:"))
        #expect(!yaml.output.contains("_0"), "\(yaml.output)")

        let unknown = ConfigTool().process(file: file, parametersJSON: #"{"nope": 1}"#)
        #expect(unknown.exitCode == 1)
        #expect(unknown.errors.contains("parameters.nope: unknown parameter \"nope\""), "\(unknown.errors)")
    }
}
