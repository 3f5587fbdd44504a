import ArgumentParser
import Foundation
import GyreLocal

/// Options locating a local installation's files and infrastructure.
struct LocalOptions: ParsableArguments {
    @Option(help: "Directory for logs, pids, storage and caches.")
    var runDir: String = ProcessInfo.processInfo.environment["GYRE_HOME"] ?? FileManager.default.currentDirectoryPath + "/.run"

    @Option(help: "Directory holding the built service executables.")
    var binDir: String = FileManager.default.currentDirectoryPath + "/.build/debug"

    @Option(help: "Use consecutive ports from here instead of the documented ones.")
    var portBase: Int?

    @Option(help: "Queue namespace (GYRE_NAMESPACE): give every installation sharing a RabbitMQ its own.")
    var namespace: String = ProcessInfo.processInfo.environment["GYRE_NAMESPACE"] ?? "gyre"

    @Option(help: "Self-hosted runner resource classes the local build agent offers (namespace/name).")
    var runnerClass: [String] = ["gyre/host"]

    @Option(help: "How many jobs the local build agent runs at once.")
    var capacity: Int = 4

    func system() throws -> LocalSystem {
        let env = try infraEnvironment()
        func value(_ key: String, _ fallback: String) -> String {
            ProcessInfo.processInfo.environment[key] ?? env[key] ?? fallback
        }
        var configuration = LocalSystem.Configuration(
            binDirectory: binDir, runDirectory: runDir, portBase: portBase,
            postgresURL: value("GYRE_POSTGRES_URL", "postgres://gyre:gyre@127.0.0.1:5432/gyre"),
            amqpURL: value("GYRE_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            redisURL: value("GYRE_REDIS_URL", "redis://127.0.0.1:6379/0"),
            vcsBase: value("GYRE_VCS_BASE", "file://\(runDir)/repos"))
        configuration.agentRunnerClasses = runnerClass
        configuration.agentCapacity = capacity
        configuration.namespace = namespace
        return LocalSystem(configuration: configuration)
    }

    /// `infra.env`, written by deploy/scripts/start-infra.sh.
    func infraEnvironment() throws -> [String: String] {
        guard let text = try? String(contentsOfFile: "\(runDir)/infra.env", encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where line.contains("=") && !line.hasPrefix("#") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            result[parts[0].replacingOccurrences(of: "export ", with: "")] = parts[1]
        }
        return result
    }
}

struct Local: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every service as a local process (Postgres, RabbitMQ, Redis and Docker must be up).",
        subcommands: [Up.self, Down.self, Status.self])

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start all services and wait until the ready-agent says ready.")
        @OptionGroup var options: LocalOptions

        func run() async throws {
            let system = try options.system()
            do {
                try await system.start()
            } catch {
                print("not ready: \(error)")
                for entry in ServiceCatalog.all { print("--- \(entry.name)\n\(system.logTail(entry.name, lines: 5))") }
                throw ExitCode(1)
            }
            let token = try system.adminToken()
            print("all services ready; API at \(system.apiURL.absoluteString); logs in \(options.runDir)/logs")
            print("admin user: admin; its API token is in \(system.adminTokenPath) "
                  + "(export GYRE_TOKEN=$(cat \(system.adminTokenPath)))")
            print("web UI: \(system.apiURL.absoluteString)/ (sign in as admin with the password in \(system.adminPasswordPath))")
            _ = token
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop all services gracefully.")
        @OptionGroup var options: LocalOptions

        func run() async throws {
            try await options.system().stop()
            print("stopped")
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each service's /status.")
        @OptionGroup var options: LocalOptions

        func run() async throws {
            let system = try options.system()
            for entry in ServiceCatalog.all {
                let (code, body) = await HTTPProbe().get(system.url(of: entry.name, path: "/status"), timeout: 3)
                print("\(entry.name) :\(system.port(of: entry.name)) \(code == 0 ? "unreachable" : String(code)) \(body)")
            }
        }
    }
}
