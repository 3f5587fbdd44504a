import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GyreServiceKit
import Hummingbird

/// Answers 200 once every listed service's `/status` answers 200, and 503
/// naming the ones that do not yet (the seeds' server-ready-agent).
public enum ReadyAgent {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "ready-agent", defaultPort: 8800, environment: environment)
        var targets: [(String, URL)] = []
        for entry in environment.list("GYRE_READY_SERVICES", default: []) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let url = URL(string: parts[1]), url.scheme?.hasPrefix("http") == true else {
                environment.problem("GYRE_READY_SERVICES: \"\(entry)\" is not name=http://host:port/status")
                continue
            }
            targets.append((parts[0], url))
        }
        if targets.isEmpty { environment.problem("GYRE_READY_SERVICES lists no services") }
        let probe = ReadinessProbe(targets: targets)
        let names = targets.map(\.0)
        app.routes { router in
            for path in ["/", "/ready"] {
                router.get(RouterPath(path)) { _, _ -> Response in
                    let waiting = await probe.notReady()
                    struct Body: Encodable {
                        var ready: Bool
                        var services: [String]
                        var waiting_for: [String: String]
                    }
                    return JSONResponse.make(
                        Body(ready: waiting.isEmpty, services: names, waiting_for: waiting),
                        status: waiting.isEmpty ? .ok : .serviceUnavailable)
                }
            }
        }
        return app
    }
}

struct ReadinessProbe: Sendable {
    let targets: [(String, URL)]

    /// Services not answering 200, with what they answered.
    func notReady() async -> [String: String] {
        await withTaskGroup(of: (String, String?).self) { group in
            for (name, url) in targets {
                group.addTask { (name, await Self.check(url)) }
            }
            var waiting: [String: String] = [:]
            for await (name, problem) in group {
                if let problem { waiting[name] = problem }
            }
            return waiting
        }
    }

    static func check(_ url: URL) async -> String? {
        var request = URLRequest(url: url)
        request.timeoutInterval = 2
        do {
            let (_, response) = try await URLSession.shared.data(for: request)
            let code = (response as? HTTPURLResponse)?.statusCode ?? 0
            return code == 200 ? nil : "status \(code)"
        } catch {
            return "unreachable"
        }
    }
}
