import ArgumentParser
import Foundation
import GyreConfig
import GyreModel

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check .circleci/config.yml files with the server's own config processor.",
        subcommands: [Validate.self, Process.self])

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Exit 0 if the config compiles, 1 listing each problem (path: message) if not, 2 if unreadable.")
        @Argument(help: "Path to the config file.") var file: String

        func run() async throws {
            _ = try Config.compile(file)
            print("\(file): valid")
        }
    }

    struct Process: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the compiled plan as JSON.")
        @Argument(help: "Path to the config file.") var file: String

        func run() async throws {
            let plan = try Config.compile(file)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(plan), as: UTF8.self))
        }
    }

    static func compile(_ file: String) throws -> PipelinePlan {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            FileHandle.standardError.write(Data("cannot read \(file)\n".utf8))
            throw ExitCode(2)
        }
        do {
            return try ConfigCompiler().compile(yaml: text)
        } catch {
            for problem in error.errors {
                FileHandle.standardError.write(Data("\(file): \(problem.description)\n".utf8))
            }
            throw ExitCode(1)
        }
    }
}
