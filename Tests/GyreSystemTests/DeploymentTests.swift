import Foundation
import GyreLocal
import Testing

/// The docker-compose description of the suite.
struct DeploymentTests {
    @Test func composeFileIsValidAndEveryServiceIsHealthChecked() throws {
        let file = "\(SystemFixture.repoRoot)/docker-compose.yml"
        // `config` resolves anchors and merge keys and fails on any schema error.
        let resolved = try SystemFixture.shell(["docker-compose", "-f", file, "config"])
        for entry in ServiceCatalog.all {
            let block = try #require(Self.serviceBlock(entry.name, in: resolved), "\(entry.name) missing from docker-compose.yml")
            #expect(block.contains("http://127.0.0.1:\(entry.port)/status"), "\(entry.name) has no /status health check on \(entry.port)")
            #expect(block.contains("GYRE_PORT: '\(entry.port)'") || block.contains("GYRE_PORT: \"\(entry.port)\"")
                    || block.contains("GYRE_PORT: \(entry.port)"), "\(entry.name) does not set GYRE_PORT=\(entry.port)")
        }
        for store in ["postgres", "redis", "rabbitmq"] {
            #expect(Self.serviceBlock(store, in: resolved)?.contains("healthcheck") == true, "\(store) has no health check")
        }
    }

    /// The lines of one service in `docker-compose config` output.
    static func serviceBlock(_ name: String, in text: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: Substring("  \(name):")) else { return nil }
        var block: [Substring] = []
        for line in lines[(start + 1)...] {
            if !line.hasPrefix("    ") && !line.isEmpty { break }
            block.append(line)
        }
        return block.joined(separator: "\n")
    }
}
