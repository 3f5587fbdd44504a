import Foundation
import GyreServiceKit
import Hummingbird

/// Answers 200 once every listed service's `/status` answers 200, and 503
/// naming the ones that do not yet (the seeds' server-ready-agent). The
/// answer also carries each probe's detail (`checks`: HTTP status or error,
/// why, and how long it took), which the admin page shows as system health.
public enum ReadyAgent {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "ready-agent", defaultPort: 8800, environment: environment)
        var targets: [ReadinessProbe.Target] = []
        for entry in environment.list("GYRE_READY_SERVICES", default: []) {
            let parts = entry.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let url = URL(string: parts[1]), url.scheme?.hasPrefix("http") == true else {
                environment.problem("GYRE_READY_SERVICES: \"\(entry)\" is not name=http://host:port/status")
                continue
            }
            targets.append(.init(name: parts[0], url: url))
        }
        if targets.isEmpty { environment.problem("GYRE_READY_SERVICES lists no services") }
        let probe = ReadinessProbe(targets: targets)
        app.routes { router in
            for path in ["/", "/ready"] {
                router.get(RouterPath(path)) { _, _ -> Response in
                    let answer = ReadinessAnswer(await probe.checkAll())
                    return JSONResponse.make(answer, status: answer.ready ? .ok : .serviceUnavailable)
                }
            }
        }
        return app
    }
}
