import ArgumentParser
import Foundation
import GyreConfig
import GyreModel

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check .circleci/config.yml files with the server's own config processor.",
        subcommands: [Validate.self, Process.self])

    /// Options shared by both subcommands.
    struct Common: ParsableArguments {
        @Argument(help: "Path to the config file.") var file: String

        @Option(name: .customLong("orb-dir"),
                help: "Directory of imported orbs (<namespace>/<name>@<version>.yml); default: $GYRE_ORB_DIR.")
        var orbDirectory: String? = ProcessInfo.processInfo.environment["GYRE_ORB_DIR"]

        var tool: ConfigTool {
            ConfigTool(compiler: ConfigCompiler(orbDirectory: orbDirectory.flatMap {
                $0.isEmpty ? nil : URL(fileURLWithPath: $0)
            }))
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exit 0 if the config is valid, 1 listing each problem (path: message) if not, 2 if unreadable.",
            discussion: "Checks structure and values; registry orbs are not loaded and jobs, executors or commands "
                + "the file uses without defining are not errors (process needs them).")
        @OptionGroup var common: Common

        func run() async throws {
            try Config.finish(common.tool.validate(file: common.file))
        }
    }

    struct Process: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Compile the config and print the plan (YAML or JSON); exit codes as validate.")
        @OptionGroup var common: Common

        @Option(help: "Pipeline parameters as a JSON object, e.g. '{\"deploy\": true}'.")
        var parameters: String?

        @Option(help: "Branch for << pipeline.git.branch >>.")
        var branch: String?

        @Option(help: "Tag for << pipeline.git.tag >>.")
        var tag: String?

        @Option(help: "yaml or json.")
        var format: String = "yaml"

        func run() async throws {
            guard let format = ConfigTool.Format(rawValue: format) else {
                FileHandle.standardError.write(Data("--format must be yaml or json\n".utf8))
                throw ExitCode(2)
            }
            try Config.finish(common.tool.process(file: common.file, parametersJSON: parameters, branch: branch,
                                                  tag: tag, format: format))
        }
    }

    static func finish(_ outcome: ConfigTool.Outcome) throws {
        if !outcome.output.isEmpty { FileHandle.standardOutput.write(Data(outcome.output.utf8)) }
        if !outcome.errors.isEmpty { FileHandle.standardError.write(Data(outcome.errors.utf8)) }
        if outcome.exitCode != 0 { throw ExitCode(outcome.exitCode) }
    }
}
