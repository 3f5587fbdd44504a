import Foundation
import GyreLocal
import GyreProcess
import Synchronization
import Testing

/// The whole suite of services, started once for a test suite against the
/// real Postgres, RabbitMQ, Redis and Docker that deploy/scripts/start-infra.sh
/// runs, with a database and a queue namespace of its own.
final class SystemFixture: Sendable {
    @TaskLocal static var current: SystemFixture?

    static var repoRoot: String {
        if let root = ProcessInfo.processInfo.environment["GYRE_REPO_ROOT"] { return root }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
    }

    static func env(_ key: String, _ fallback: String) -> String {
        ProcessInfo.processInfo.environment[key] ?? fallback
    }

    let system: LocalSystem
    private let token = Mutex<String?>(nil)
    /// The installation admin's API token (created when the system starts).
    var adminToken: String? { token.withLock { $0 } }
    /// The API as the installation admin calls it.
    var client: APIClient { APIClient(base: system.apiURL, token: adminToken) }
    /// HTTP calls that carry the admin's token.
    var http: HTTPProbe { .authenticated(adminToken) }
    let runDirectory: String
    let database: String
    let adminURL: String

    init() throws {
        let suffix = String(UUID().uuidString.lowercased().prefix(8))
        runDirectory = NSTemporaryDirectory() + "gyre-e2e-\(suffix)"
        database = "gyre_e2e_\(suffix)"
        adminURL = Self.env("GYRE_TEST_POSTGRES_URL", "postgres://gyre:gyre@127.0.0.1:5432/gyre")
        let base = adminURL.hasSuffix("/gyre") ? String(adminURL.dropLast(5)) : adminURL
        var configuration = LocalSystem.Configuration(
            binDirectory: Self.env("GYRE_BIN_DIR", "\(Self.repoRoot)/.build/debug"),
            runDirectory: runDirectory,
            portBase: try Self.freePortBase(count: ServiceCatalog.all.count * 2),  // room for one replica each
            postgresURL: "\(base)/\(database)",
            amqpURL: Self.env("GYRE_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/"),
            redisURL: Self.env("GYRE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"),
            vcsBase: "file://\(runDirectory)/repos")
        configuration.namespace = "e2e\(suffix)"
        configuration.agentRunnerClasses = ["gyre/host"]
        configuration.agentCapacity = 4
        configuration.extraEnvironment = ["GYRE_LOG_LEVEL": "info", "GYRE_AGENT_TIMEOUT_SECONDS": "5",
                                          "GYRE_ORB_DIR": "\(runDirectory)/orbs",
                                          "GYRE_NO_AGENT_TIMEOUT_SECONDS": "15",
                                          "GYRE_RESOURCE_CLASS_MAP": "windows.medium=gyre/host",
                                          // Audit log files every second (AuditLogTests wait for them).
                                          "GYRE_AUDIT_FILE_SECONDS": "1"]
        // LDAP sign-in against deploy/scripts/start-slapd.sh's directory (test.sh starts it).
        for (key, value) in Self.ldapEnvironment() { configuration.extraEnvironment[key] = value }
        system = LocalSystem(configuration: configuration)
    }

    /// The GYRE_LDAP_* settings start-slapd.sh wrote to `$GYRE_HOME/slapd/ldap.env` (empty when it has not run).
    static func ldapEnvironment() -> [String: String] {
        let home = ProcessInfo.processInfo.environment["GYRE_HOME"] ?? "\(repoRoot)/.run"
        guard let text = try? String(contentsOfFile: "\(home)/slapd/ldap.env", encoding: .utf8) else { return [:] }
        var result: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("GYRE_LDAP_") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { result[parts[0]] = parts[1] }
        }
        return result
    }

    /// The first of `count` consecutive loopback ports that nothing listens on:
    /// a free range below the kernel's ephemeral ports: replicas start long after this check,
    /// and a port inside the ephemeral range may meanwhile be taken by any outgoing connection.
    static func freePortBase(count: Int) throws -> Int {
        let range = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))?
            .split(whereSeparator: \.isWhitespace).compactMap { Int($0) } ?? []
        let ephemeralStart = range.first ?? 32768
        let upper = max(ephemeralStart - count - 1, 10_001 + count)
        for _ in 0..<50 {
            let base = Int.random(in: 10_000...upper)
            if (base..<base + count).allSatisfy(isFree) { return base }
        }
        throw LocalSystemError("no free range of \(count) ports found")
    }

    static func isFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    var jobImage: String { Self.env("GYRE_JOB_IMAGE", "gyre/base:bookworm") }

    func start() async throws {
        try Self.shell(["psql", adminURL, "-q", "-c", "CREATE DATABASE \(database)"])
        do {
            try await system.start(timeout: .seconds(120))
            let created = try system.adminToken()
            token.withLock { $0 = created }
        } catch {
            Issue.record("system did not start: \(error)\n\(logs())")
            throw error
        }
    }

    func stop() async {
        await system.stop()
        _ = try? Self.shell(["psql", adminURL, "-q", "-c", "DROP DATABASE IF EXISTS \(database) WITH (FORCE)"])
        try? FileManager.default.removeItem(atPath: runDirectory)
    }

    func logs(lines: Int = 30) -> String {
        ServiceCatalog.all.map { "--- \($0.name)\n\(system.logTail($0.name, lines: lines))" }.joined(separator: "\n")
    }

    /// Rows of a query on the suite's database, one line each (columns split by `|`).
    func sql(_ query: String) throws -> [String] {
        let base = adminURL.hasSuffix("/gyre") ? String(adminURL.dropLast(5)) : adminURL
        return try Self.shell(["psql", "\(base)/\(database)", "-tAc", query])
            .split(separator: "\n").map(String.init).filter { !$0.isEmpty }
    }

    /// A project whose repository holds `config` as .circleci/config.yml, followed by the API.
    /// Creates a user with an API token (through `gyre admin`, as an operator would); returns the token.
    func user(_ login: String, password: String? = nil, admin: Bool = false) throws -> String {
        let gyre = "\(system.configuration.binDirectory)/gyre"
        let db = system.configuration.postgresURL
        _ = try Self.shell([gyre, "admin", "create-user", login, "--postgres-url", db] + (admin ? ["--admin"] : []))
        return try Self.shell([gyre, "admin", "create-token", login, "--postgres-url", db])
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Gives a user a role in an organisation (`gh/acme`) as the installation admin.
    func grant(_ login: String, organization: String = "gh/acme", role: String) async throws {
        let url = system.apiURL.appendingPathComponent("api/gyre/orgs/\(organization)/members/\(login)")
        let (code, body) = await http.send("PUT", url, body: Data(#"{"role": "\#(role)"}"#.utf8))
        guard code == 200 else { throw LocalSystemError("grant \(role) to \(login): \(code) \(String(decoding: body, as: UTF8.self))") }
    }

    /// Makes sure an organisation has a context of that name (jobs naming a context that does not exist end unauthorized).
    func context(_ name: String, organization: String = "gh/acme") async throws {
        let body = try JSONSerialization.data(withJSONObject: ["name": name, "owner": ["slug": organization]])
        let (code, answer) = await http.send("POST", system.apiURL.appendingPathComponent("api/v2/context"), body: body)
        guard code == 200 || code == 409 else {
            throw LocalSystemError("create context \(name): \(code) \(String(decoding: answer, as: UTF8.self))")
        }
    }

    func project(_ name: String, config: String, files: [String: String] = [:]) async throws -> String {
        let org = "acme"
        var all = files
        all[".circleci/config.yml"] = config
        all["README.md"] = all["README.md"] ?? "sample \(name)\n"
        try SampleRepository.create(at: "\(runDirectory)/repos/\(org)/\(name).git", files: all)
        let slug = "gh/\(org)/\(name)"
        _ = try await client.follow(slug)
        return slug
    }

    /// Runs a command; its output goes to a file, not a pipe, because a
    /// daemon it starts (redis-server) would hold a pipe open forever.
    @discardableResult
    static func shell(_ argv: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "gyre-shell-\(UUID().uuidString)"
        FileManager.default.createFile(atPath: outputPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let fd = open(outputPath, O_WRONLY | O_CLOEXEC)
        let pid = try Spawn.start(["/usr/bin/env"] + argv, environment: nil, directory: nil, outputFD: fd)
        close(fd)
        let status = Spawn.wait(pid)
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        guard status == 0 else {
            throw LocalSystemError("\(argv.joined(separator: " ")) failed: \(text)")
        }
        return text
    }
}

/// Starts the system before the suite's tests and stops it after them.
struct RunningSystem: SuiteTrait, TestScoping {
    var isRecursive: Bool { false }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let fixture = try SystemFixture()
        try await fixture.start()
        do {
            try await SystemFixture.$current.withValue(fixture) { try await function() }
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}

extension Trait where Self == RunningSystem {
    static var runningSystem: RunningSystem { RunningSystem() }
}

/// The fixture of the running suite.
var fixture: SystemFixture {
    get throws {
        guard let current = SystemFixture.current else { throw LocalSystemError("no running system") }
        return current
    }
}

/// Every end-to-end suite runs inside this one, against one running system, one test at a time.
@Suite(.serialized, .runningSystem, .timeLimit(.minutes(15)))
struct EndToEnd {}
