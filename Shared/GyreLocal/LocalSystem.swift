import Foundation
import GyreProcess
import Synchronization

/// Runs every Gyre service as a local process against already-running
/// Postgres, RabbitMQ, Redis (and Docker): used by `gyre local up`, the
/// benchmark and the end-to-end tests.
public final class LocalSystem: Sendable {
    public struct Configuration: Sendable {
        /// Directory holding the built service executables.
        public var binDirectory: String
        /// Logs, pid files, storage, agent work dirs and git cache go here.
        public var runDirectory: String
        /// nil: the documented ports; else consecutive ports from here.
        public var portBase: Int?
        public var namespace: String = "gyre"
        public var postgresURL: String
        public var amqpURL: String
        public var redisURL: String
        public var vcsBase: String
        public var agentDocker: Bool = true
        public var agentRunnerClasses: [String] = []
        public var agentCapacity: Int = 4
        public var extraEnvironment: [String: String] = [:]

        public init(binDirectory: String, runDirectory: String, portBase: Int?, postgresURL: String, amqpURL: String,
                    redisURL: String, vcsBase: String) {
            self.binDirectory = binDirectory
            self.runDirectory = runDirectory
            self.portBase = portBase
            self.postgresURL = postgresURL
            self.amqpURL = amqpURL
            self.redisURL = redisURL
            self.vcsBase = vcsBase
        }
    }

    public let configuration: Configuration
    private let processes = Mutex<[String: Int32]>([:])

    public init(configuration: Configuration) {
        self.configuration = configuration
    }

    /// The port of a service instance: `name` for the first, `name.N` for its N-th replica
    /// (replicas need `portBase`: they take the ports after the first instances').
    public func port(of instance: String) -> Int {
        let (service, replica) = Self.split(instance)
        guard let index = ServiceCatalog.all.firstIndex(where: { $0.name == service }) else { return 0 }
        if let base = configuration.portBase { return base + (replica - 1) * ServiceCatalog.all.count + index }
        return ServiceCatalog.all[index].port + (replica - 1) * 10_000
    }

    /// `dispatcher.2` → ("dispatcher", 2); `dispatcher` → ("dispatcher", 1).
    static func split(_ instance: String) -> (String, Int) {
        let parts = instance.split(separator: ".")
        if parts.count == 2, let replica = Int(parts[1]), replica > 0 { return (String(parts[0]), replica) }
        return (instance, 1)
    }

    public func url(of service: String, path: String = "") -> URL {
        URL(string: "http://127.0.0.1:\(port(of: service))\(path)")!
    }

    public var apiURL: URL { url(of: "frontend") }

    public var storageDirectory: String { "\(configuration.runDirectory)/storage" }
    var logDirectory: String { "\(configuration.runDirectory)/logs" }
    var pidDirectory: String { "\(configuration.runDirectory)/pids" }

    func environment(for service: String) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GYRE_") }
        env["GYRE_PORT"] = String(port(of: service))
        env["GYRE_BIND"] = "127.0.0.1"
        env["GYRE_NAMESPACE"] = configuration.namespace
        env["GYRE_POSTGRES_URL"] = configuration.postgresURL
        env["GYRE_AMQP_URL"] = configuration.amqpURL
        env["GYRE_REDIS_URL"] = configuration.redisURL
        env["GYRE_STORAGE_DIR"] = storageDirectory
        env["GYRE_VCS_BASE"] = configuration.vcsBase
        env["GYRE_GIT_CACHE"] = "\(configuration.runDirectory)/git-cache"
        env["GYRE_AGENT_WORK_DIR"] = "\(configuration.runDirectory)/agent"
        env["GYRE_STORAGE_URL"] = "http://127.0.0.1:\(port(of: "output-processor"))"
        env["GYRE_CONTEXTS_URL"] = "http://127.0.0.1:\(port(of: "contexts"))"
        env["GYRE_INTERNAL_TOKEN"] = internalToken
        env["GYRE_KEK_FILE"] = kekFile
        env["GYRE_PERMISSIONS_URL"] = "http://127.0.0.1:\(port(of: "permissions"))"
        env["GYRE_API_URL"] = "http://127.0.0.1:\(port(of: "frontend"))"
        env["GYRE_AGENT_DOCKER"] = configuration.agentDocker ? "true" : "false"
        env["GYRE_AGENT_RUNNER_CLASSES"] = configuration.agentRunnerClasses.joined(separator: ",")
        env["GYRE_AGENT_CAPACITY"] = String(configuration.agentCapacity)
        env["GYRE_AGENT_NAME"] = "local-\(service)"
        env["GYRE_EXTERNAL_URL"] = "http://127.0.0.1:\(port(of: "frontend"))"
        env["GYRE_READY_URL"] = "http://127.0.0.1:\(port(of: "ready-agent"))/ready"
        env["GYRE_READY_SERVICES"] = ServiceCatalog.all.filter { $0.name != "ready-agent" }
            .map { "\($0.name)=http://127.0.0.1:\(port(of: $0.name))/status" }.joined(separator: ",")
        for (key, value) in configuration.extraEnvironment { env[key] = value }
        return env
    }

    /// Starts every service, then waits until the ready-agent answers 200.
    public func start(timeout: Duration = .seconds(90)) async throws {
        for entry in ServiceCatalog.all {
            try start(entry.name)
        }
        try await waitUntilReady(timeout: timeout)
    }

    /// Starts one service (again), appending to its log file.
    public func start(_ service: String) throws {
        for directory in [logDirectory, pidDirectory, storageDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let executable = "\(configuration.binDirectory)/\(Self.split(service).0)"
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw LocalSystemError("\(executable) is missing: build first (swift build)")
        }
        let logPath = "\(logDirectory)/\(service).log"
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw LocalSystemError("cannot write \(logPath)") }
        defer { close(log) }
        let pid = try Spawn.start([executable], environment: environment(for: service), directory: nil, outputFD: log)
        processes.withLock { $0[service] = pid }
        try String(pid).write(toFile: "\(pidDirectory)/\(service).pid", atomically: true, encoding: .utf8)
    }

    public func pid(of service: String) -> Int32? {
        if let pid = processes.withLock({ $0[service] }) { return pid }
        guard let text = try? String(contentsOfFile: "\(pidDirectory)/\(service).pid", encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// How a stopped service ended.
    public enum Ending: Sendable, Equatable {
        /// Exited on its own with this status (when this process started it; else 0).
        case exited(Int32)
        /// Killed by this signal.
        case signalled(Int32)
        /// Still running after the timeout, so it was killed.
        case forced
        case notRunning
    }

    /// Sends `signal` to a service and, for SIGTERM/SIGKILL, waits until it has exited.
    @discardableResult
    public func signal(_ service: String, _ signal: Int32, timeout: Duration = .seconds(30)) async -> Ending {
        guard let pid = pid(of: service), kill(pid, 0) == 0 else { return .notRunning }
        kill(pid, signal)
        guard signal == SIGTERM || signal == SIGKILL else { return .exited(0) }
        defer {
            processes.withLock { $0[service] = nil }
            try? FileManager.default.removeItem(atPath: "\(pidDirectory)/\(service).pid")
        }
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                return status & 0x7f == 0 ? .exited((status >> 8) & 0xff) : .signalled(status & 0x7f)
            }
            if reaped == -1 && kill(pid, 0) != 0 { return .exited(0) }
            try? await Task.sleep(for: .milliseconds(20))
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        return .forced
    }

    /// Stops every service instance gracefully (SIGTERM): replicas and the ready-agent first.
    public func stop() async {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: pidDirectory)) ?? []
        let replicas = files.filter { $0.hasSuffix(".pid") }.map { String($0.dropLast(4)) }.filter { $0.contains(".") }
        for instance in replicas {
            await signal(instance, SIGTERM)
        }
        for entry in ServiceCatalog.all.reversed() {
            await signal(entry.name, SIGTERM)
        }
    }

    public func waitUntilReady(timeout: Duration) async throws {
        let client = HTTPProbe()
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            let (code, body) = await client.get(url(of: "ready-agent", path: "/ready"))
            if code == 200 { return }
            last = body
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LocalSystemError("the system was not ready within \(timeout): \(last) (logs in \(logDirectory))")
    }

    /// Memory of one process, in bytes, from /proc/<pid>/smaps_rollup.
    public struct MemoryUse: Sendable {
        /// Resident set: counts shared library pages in full for every process.
        public var resident: Int
        /// Proportional set: shared pages divided among the processes sharing them;
        /// the sum over processes is what they cost the machine together.
        public var proportional: Int
        /// Anonymous memory (heap, stacks): what the process itself allocated.
        public var anonymous: Int

        public init(resident: Int, proportional: Int, anonymous: Int) {
            self.resident = resident
            self.proportional = proportional
            self.anonymous = anonymous
        }
    }

    /// Memory of each running service.
    public func memory() -> [String: MemoryUse] {
        var result: [String: MemoryUse] = [:]
        for entry in ServiceCatalog.all {
            guard let pid = pid(of: entry.name),
                  let text = try? String(contentsOfFile: "/proc/\(pid)/smaps_rollup", encoding: .utf8)
            else { continue }
            func field(_ name: String) -> Int {
                guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
                return (line.split(separator: " ").compactMap { Int($0) }.first ?? 0) * 1024
            }
            result[entry.name] = MemoryUse(resident: field("Rss"), proportional: field("Pss"), anonymous: field("Anonymous"))
        }
        return result
    }

    /// CPU time (user + system) each running service has used, in seconds.
    public func cpuSeconds() -> [String: Double] {
        var result: [String: Double] = [:]
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        for entry in ServiceCatalog.all {
            guard let pid = pid(of: entry.name),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")")
            else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the command: state is field 3, utime 14, stime 15 (1-based), i.e. indices 11 and 12 here.
            guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { continue }
            result[entry.name] = (user + system) / ticks
        }
        return result
    }

    public func logTail(_ service: String, lines: Int = 40) -> String {
        let text = (try? String(contentsOfFile: "\(logDirectory)/\(service).log", encoding: .utf8)) ?? ""
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}

public struct LocalSystemError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}
