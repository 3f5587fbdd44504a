import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GyreServiceKit

/// Asks every listed service's `/status` at once.
struct ReadinessProbe: Sendable {
    struct Target: Sendable {
        var name: String
        var url: URL
    }

    let targets: [Target]

    /// One result per target, in the targets' order.
    func checkAll() async -> [ServiceCheck] {
        await withTaskGroup(of: (Int, ServiceCheck).self) { group in
            for (index, target) in targets.enumerated() {
                group.addTask { (index, await Self.check(target)) }
            }
            var results: [(Int, ServiceCheck)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    static func check(_ target: Target) async -> ServiceCheck {
        var request = URLRequest(url: target.url)
        request.timeoutInterval = 2
        let clock = ContinuousClock()
        let start = clock.now
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let elapsed = clock.now - start
            let code = (response as? HTTPURLResponse)?.statusCode ?? 0
            return ServiceCheck(name: target.name, status: code, error: code == 200 ? nil : Self.reason(data, code: code),
                                milliseconds: elapsed.milliseconds)
        } catch {
            let elapsed = clock.now - start
            let timedOut = (error as? URLError)?.code == .timedOut
            return ServiceCheck(name: target.name, status: nil, error: timedOut ? "no answer within 2 s" : "unreachable",
                                milliseconds: elapsed.milliseconds)
        }
    }

    /// What a failing `/status` says is wrong: its unhealthy dependencies and configuration problems.
    static func reason(_ body: Data, code: Int) -> String {
        struct Report: Decodable {
            var configuration: [String]?
            var dependencies: [String: String]?
        }
        guard let report = try? JSONDecoder().decode(Report.self, from: body) else { return "status \(code)" }
        let problems = (report.dependencies ?? [:]).filter { $0.value != "ok" }.sorted { $0.key < $1.key }
            .map { "\($0.key): \($0.value)" } + (report.configuration ?? [])
        return problems.isEmpty ? "status \(code)" : "status \(code): " + problems.joined(separator: "; ")
    }
}

/// One service as the ready-agent saw it.
struct ServiceCheck: Sendable, Encodable {
    var name: String
    /// The HTTP status of its `/status`; nil when it did not answer.
    var status: Int?
    /// Why it is not ready (nil when it is).
    var error: String?
    /// How long the probe took.
    var milliseconds: Double

    var ready: Bool { status == 200 }

    enum CodingKeys: String, CodingKey { case name, ready, status, error, milliseconds = "response_ms" }

    /// Every field, null when absent.
    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(ready, forKey: .ready)
        try container.encode(status, forKey: .status)
        try container.encode(error, forKey: .error)
        try container.encode((milliseconds * 10).rounded() / 10, forKey: .milliseconds)
    }
}

/// The ready-agent's answer: `ready`, `services`, `waiting_for` (as before) and each probe's detail.
struct ReadinessAnswer: Encodable {
    var ready: Bool
    var services: [String]
    var waiting_for: [String: String]
    var checks: [ServiceCheck]

    init(_ checks: [ServiceCheck]) {
        self.checks = checks
        services = checks.map(\.name)
        waiting_for = Dictionary(checks.filter { !$0.ready }.map { ($0.name, $0.error ?? "status \($0.status ?? 0)") },
                                 uniquingKeysWith: { first, _ in first })
        ready = waiting_for.isEmpty
    }
}

extension Duration {
    var milliseconds: Double {
        Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15
    }
}
