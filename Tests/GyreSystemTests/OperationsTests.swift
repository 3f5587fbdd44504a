import Foundation
import GyreLocal
import Testing

/// Health, readiness, API errors and a dependency outage.
extension EndToEnd {
@Suite struct OperationsTests {
    @Test func everyServiceAnswersItsThreeHealthPaths() async throws {
        let system = try fixture.system
        for entry in ServiceCatalog.all {
            for path in ["/health-check", "/healthcheck", "/status"] {
                let (code, body) = await HTTPProbe().get(system.url(of: entry.name, path: path))
                #expect(code == 200, "\(entry.name)\(path): \(code) \(body)")
                #expect(body.contains("\"status\":\"ok\""), "\(entry.name)\(path): \(body)")
            }
        }
        let (code, body) = await HTTPProbe().get(system.url(of: "ready-agent", path: "/ready"))
        #expect(code == 200)
        #expect(body.contains("\"ready\":true"))
        let (metricsCode, metrics) = await HTTPProbe().get(system.url(of: "frontend", path: "/metrics"))
        #expect(metricsCode == 200)
        #expect(metrics.contains("hb_requests") || metrics.contains("http"), "\(metrics.prefix(300))")
    }

    @Test func apiErrorsAreClear() async throws {
        let system = try fixture
        let http = system.http
        let api = system.system.apiURL

        let (unknown, unknownBody) = await http.get(api.appendingPathComponent("api/v2/pipeline/\(UUID().uuidString)"))
        #expect(unknown == 404)
        #expect(unknownBody.contains("not found"))

        let (badId, badIdBody) = await http.get(api.appendingPathComponent("api/v2/workflow/not-a-uuid"))
        #expect(badId == 400)
        #expect(badIdBody.contains("must be a UUID"))

        let (noProject, noProjectBody) = await http.send("POST", api.appendingPathComponent("api/v2/project/gh/acme/unknown/pipeline"),
                                                         body: Data("{}".utf8))
        #expect(noProject == 404)
        #expect(String(decoding: noProjectBody, as: UTF8.self).contains("follow it first"))

        let (badSlug, _) = await http.send("POST", api.appendingPathComponent("api/v2/project/svn/acme/x/pipeline"), body: Data("{}".utf8))
        #expect(badSlug == 400)

        _ = try await system.project("errors", config: "version: 2.1\n")
        let (badJSON, badJSONBody) = await http.send("POST", api.appendingPathComponent("api/v2/project/gh/acme/errors/pipeline"),
                                                     body: Data("{\"branch\": 3".utf8))
        #expect(badJSON == 400)
        #expect(String(decoding: badJSONBody, as: UTF8.self).contains("not valid JSON"))

        let (badRef, _) = await http.send("POST", api.appendingPathComponent("api/v2/project/gh/acme/errors/pipeline"),
                                          body: Data("{\"branch\": \"--upload-pack=x\"}".utf8))
        #expect(badRef == 400)

        let huge = Data(("{\"branch\": \"" + String(repeating: "a", count: 2 << 20) + "\"}").utf8)
        let (tooBig, _) = await http.send("POST", api.appendingPathComponent("api/v2/project/gh/acme/errors/pipeline"), body: huge)
        #expect(tooBig == 413)

        let (noJob, _) = await http.get(api.appendingPathComponent("api/v2/project/gh/acme/errors/job/999999"))
        #expect(noJob == 404)
    }

    @Test func redisOutageTurnsStatus500AndRecoveryTurnsIt200() async throws {
        let system = try fixture.system
        let script = "\(SystemFixture.repoRoot)/deploy/scripts/redis.sh"
        let status = system.url(of: "output-processor", path: "/status")
        let (before, _) = await HTTPProbe().get(status)
        #expect(before == 200)

        try SystemFixture.shell(["bash", script, "stop"])
        var down = (0, "")
        do {
            down = await Self.poll(status, until: { $0 == 500 })
            #expect(down.0 == 500)
            #expect(down.1.contains("redis"), "\(down.1)")
            let (ready, readyBody) = await HTTPProbe().get(system.url(of: "ready-agent", path: "/ready"))
            #expect(ready == 503)
            #expect(readyBody.contains("output-processor"))
        }
        try SystemFixture.shell(["bash", script, "start"])
        let up = await Self.poll(status, until: { $0 == 200 })
        #expect(up.0 == 200, "\(up.1)")
    }

    static func poll(_ url: URL, until done: (Int) -> Bool, timeout: Duration = .seconds(20)) async -> (Int, String) {
        let deadline = ContinuousClock.now + timeout
        var last = (0, "")
        while ContinuousClock.now < deadline {
            last = await HTTPProbe().get(url)
            if done(last.0) { return last }
            try? await Task.sleep(for: .milliseconds(200))
        }
        return last
    }
}
}
