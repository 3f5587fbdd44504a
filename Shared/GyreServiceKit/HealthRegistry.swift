import Foundation
import Synchronization

/// What `/status` reports: configuration problems and the state of each
/// dependency, checked when asked (each check bounded by a timeout).
public final class HealthRegistry: Sendable {
    public typealias Check = @Sendable () async throws -> Void

    private let checks = Mutex<[(name: String, check: Check)]>([])
    private let environment: ServiceEnvironment
    private let timeout: Duration

    public init(environment: ServiceEnvironment, timeout: Duration = .seconds(2)) {
        self.environment = environment
        self.timeout = timeout
    }

    public func add(_ name: String, _ check: @escaping Check) {
        checks.withLock { $0.append((name, check)) }
    }

    public struct Report: Codable, Sendable {
        public var status: String
        public var configuration: [String]
        public var dependencies: [String: String]

        public var healthy: Bool { status == "ok" }
    }

    public func report() async -> Report {
        let all = checks.withLock { $0 }
        let timeout = self.timeout
        var results: [String: String] = [:]
        await withTaskGroup(of: (String, String).self) { group in
            for (name, check) in all {
                group.addTask {
                    await Self.run(check, timeout: timeout).map { (name, $0) } ?? (name, "ok")
                }
            }
            for await (name, result) in group { results[name] = result }
        }
        let problems = environment.problems
        let healthy = problems.isEmpty && results.values.allSatisfy { $0 == "ok" }
        return Report(status: healthy ? "ok" : "unhealthy", configuration: problems, dependencies: results)
    }

    /// nil when the check passed, else what went wrong.
    static func run(_ check: @escaping Check, timeout: Duration) async -> String? {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await check()
                    return nil
                } catch {
                    return "down: \(error)"
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return "down: no answer within \(timeout)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
