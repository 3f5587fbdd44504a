import ArgumentParser
import Foundation
import GyreModel
import GyreStore

extension Admin {
    /// `gyre admin drain|undrain AGENT`: the admin page's Drain and Undrain, from the command line.
    protocol DrainCommand: AsyncParsableCommand {
        static var drained: Bool { get }
        var agent: String { get }
        var connection: Connection { get }
    }

    struct Drain: DrainCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drain a build agent: no new jobs are placed on it; the ones it runs finish.")
        static let drained = true
        @Argument(help: "The agent's name (GYRE_AGENT_NAME).") var agent: String
        @OptionGroup var connection: Connection
    }

    struct Undrain: DrainCommand {
        static let configuration = CommandConfiguration(abstract: "Undrain a build agent: it takes new jobs again.")
        static let drained = false
        @Argument(help: "The agent's name (GYRE_AGENT_NAME).") var agent: String
        @OptionGroup var connection: Connection
    }
}

extension Admin.DrainCommand {
    func run() async throws {
        let name = agent
        let drained = Self.drained
        do {
            let rows = try await connection.withDatabase { database in
                try await OperationsStore(database: database).setDrained(name, drained, cause: Admin.cause)
            }
            print("agent \(name) is \(drained ? "drained" : "undrained") (\(rows.map(\.running).reduce(0, +)) jobs running)")
        } catch let error as StoreError where error.code == .notFound {
            throw ValidationError(error.message)
        }
    }
}
