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
