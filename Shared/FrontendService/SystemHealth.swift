import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The installation's health as the ready-agent sees it (`GYRE_READY_URL`):
/// each service's `/status`, whether it is ready, why not, and how long it
/// took to answer. Reading it never fails: an unset URL or a silent
/// ready-agent is an answer of its own.
struct SystemHealth: Sendable {
    /// The ready-agent's `/ready`; nil when not configured.
    let url: URL?

    struct Check: Decodable, Sendable, Equatable {
        var name: String
        var ready: Bool
        var status: Int?
        var error: String?
        var response_ms: Double?
    }

    enum Reading: Sendable, Equatable {
        case notConfigured
        /// The ready-agent did not answer (or not in its shape): why.
        case unavailable(String)
        case answered(ready: Bool, checks: [Check], milliseconds: Double)
    }

    func read(timeout: TimeInterval = 3) async -> Reading {
        guard let url else { return .notConfigured }
        struct Answer: Decodable {
            var ready: Bool
            var services: [String]?
            var waiting_for: [String: String]?
            var checks: [Check]?
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = timeout
        let started = Date()
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let elapsed = Date().timeIntervalSince(started) * 1000
            let code = (response as? HTTPURLResponse)?.statusCode ?? 0
            guard let answer = try? JSONDecoder().decode(Answer.self, from: data) else {
                return .unavailable("the ready-agent at \(url.absoluteString) answered \(code) without its report")
            }
            // An older ready-agent without `checks`: what `services` and `waiting_for` tell.
            let checks = answer.checks ?? (answer.services ?? []).map { name in
                let problem = answer.waiting_for?[name]
                return Check(name: name, ready: problem == nil, status: nil, error: problem, response_ms: nil)
            }
            return .answered(ready: answer.ready, checks: checks, milliseconds: elapsed)
        } catch {
            return .unavailable("the ready-agent at \(url.absoluteString) does not answer")
        }
    }
}

/// The last system-health reading, so the admin page never waits for the
/// ready-agent (which asks every service in turn, tens of milliseconds):
/// a page gets the last reading at once and, when it is older than
/// `freshFor`, starts a new one for the next page. Only the first page
/// after a start waits for a reading.
actor SystemHealthMonitor {
    let health: SystemHealth
    let freshFor: Duration
    private var last: (reading: SystemHealth.Reading, at: Date, clock: ContinuousClock.Instant)?
    private var refreshing: Task<Void, Never>?

    init(health: SystemHealth, freshFor: Duration = .seconds(2)) {
        self.health = health
        self.freshFor = freshFor
    }

    /// The latest reading and when it was taken.
    func current() async -> (SystemHealth.Reading, Date) {
        if health.url == nil { return (.notConfigured, Date()) }
        if let last, ContinuousClock.now - last.clock < freshFor { return (last.reading, last.at) }
        let task = refreshing ?? startRefresh()
        if let last { return (last.reading, last.at) }
        await task.value
        return last.map { ($0.reading, $0.at) } ?? (.unavailable("no reading yet"), Date())
    }

    private func startRefresh() -> Task<Void, Never> {
        let health = self.health
        // Outlives the page that started it: the next page gets its result.
        let task = Task {
            let reading = await health.read()
            self.store(reading)
        }
        refreshing = task
        return task
    }

    private func store(_ reading: SystemHealth.Reading) {
        last = (reading, Date(), .now)
        refreshing = nil
    }
}
