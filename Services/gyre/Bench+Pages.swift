import ArgumentParser
import Foundation
import GyreLocal
import Synchronization

/// Page-load figures: `pagePipelines` pipelines (one trivial job each) go
/// into one project through the API, then every web UI page is fetched over
/// HTTP with the admin's token, one request at a time, and each page's
/// median, p95 and max are printed. A page the server does not have (404)
/// is skipped. The time is the whole request as a browser's first byte to
/// last byte would see it from this machine (connection reused), not the
/// page's JavaScript.
extension Bench {
    func pages(_ client: APIClient, token: String, repos: String) async throws {
        let slug = "gh/bench/pages-\(executor)"
        try await prepare(client, slug: slug, repos: repos, jobs: 1)
        print("\npage load: \(pagePipelines) pipelines of one trivial \(executor) job in \(slug)")
        let start = Date()
        // A few workers, each triggering and waiting for its pipeline: the system and the rate limit both stay in bounds.
        let workers = 8
        let next = TicketCounter()
        let count = pagePipelines
        let results = try await withThrowingTaskGroup(of: [APIClient.Outcome].self) { group in
            for _ in 0..<workers {
                group.addTask {
                    var outcomes: [APIClient.Outcome] = []
                    while next.take() < count {
                        let created = try await client.trigger(slug)
                        outcomes.append(try await client.wait(for: created.id, timeout: .seconds(300), poll: .milliseconds(100)))
                    }
                    return outcomes
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let failed = results.filter { $0.status != "success" }.count
        print("  \(results.count) pipelines in \(String(format: "%.1f", Date().timeIntervalSince(start))) s (\(failed) not successful)")
        guard let newest = results.max(by: { $0.pipeline.number < $1.pipeline.number }),
              let job = newest.workflows.first?.jobs.first?.job_number else {
            throw ValidationError("no pipeline with a job to measure")
        }
        // Pipeline numbers run from 1 up in a project: the newest one's is the count.
        let total = newest.pipeline.number
        let lastPage = max(0, (total - 1) / 20 * 20)
        let parts = slug.split(separator: "/").map(String.init)
        let paths = [
            "/",
            "/pipelines/\(slug)",
            "/pipelines/\(slug)?page-token=\(lastPage)",
            "/pipelines/\(slug)/\(newest.pipeline.number)",
            "/pipelines/\(slug)/jobs/\(job)",
            "/settings/project/\(slug)",
            "/settings/organization/\(parts[0])/\(parts[1])",
            "/admin",
            "/insights/\(slug)",
        ]
        print("  \(total) pipelines in the project; \(pageSamples) requests per page (after 3 warm-up), admin token:")
        let http = HTTPProbe.authenticated(token)
        for path in paths {
            let url = URL(string: client.base.absoluteString + path)!
            let (first, _, _) = await Self.fetch(http, url)
            if first == 404 {
                print("  \(path): 404, skipped")
                continue
            }
            guard first == 200 else {
                print("  \(path): HTTP \(first), skipped")
                continue
            }
            for _ in 0..<2 { _ = await Self.fetch(http, url) }
            var times: [Double] = []
            var bytes = 0
            for _ in 0..<pageSamples {
                let (code, size, seconds) = await Self.fetch(http, url)
                guard code == 200 else { throw ValidationError("\(path) answered \(code)") }
                times.append(seconds)
                bytes = size
                // Stays under the API's rate limit (150 a second by default).
                try await Task.sleep(for: .milliseconds(8))
            }
            print(Self.pageRow(path, times, bytes: bytes))
        }
    }

    /// Status, body size and seconds of one GET; a 429 waits as the server says and tries again (not timed).
    static func fetch(_ http: HTTPProbe, _ url: URL) async -> (Int, Int, Double) {
        for _ in 0..<20 {
            let clock = ContinuousClock()
            let started = clock.now
            let (code, body, headers) = await http.exchange("GET", url, body: nil, headers: ["Accept": "text/html"])
            let elapsed = clock.now - started
            if code == 429 {
                try? await Task.sleep(for: .seconds(Double(headers["retry-after"] ?? "") ?? 1))
                continue
            }
            return (code, body.count,
                    Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return (429, 0, 0)
    }

    static func pageRow(_ label: String, _ seconds: [Double], bytes: Int) -> String {
        let sorted = seconds.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] * 1000 }
        return "  \(label): median \(String(format: "%.1f", at(0.5))) ms, p95 \(String(format: "%.1f", at(0.95))) ms, "
            + "max \(String(format: "%.1f", at(1))) ms (n=\(sorted.count), \(bytes / 1024) KB)"
    }
}

/// Hands out 0, 1, 2, ... to concurrent workers.
final class TicketCounter: Sendable {
    private let value = Mutex(0)

    func take() -> Int {
        value.withLock { current in
            defer { current += 1 }
            return current
        }
    }
}
