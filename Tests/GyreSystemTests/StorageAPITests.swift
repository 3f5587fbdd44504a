import Foundation
import GyreLocal
import Testing

/// The output-processor's internal storage API, called directly as a build
/// agent calls it, against real jobs; and the public artifacts/tests API that
/// reads what it stored. (Jobs that use it through real steps: StepTests.)
extension EndToEnd {
@Suite struct StorageAPITests {
    var storage: StorageProbe {
        get throws {
            let system = try fixture.system
            return StorageProbe(base: system.url(of: "output-processor"), token: system.internalToken)
        }
    }

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }
    static func q(_ value: String) -> String { StorageProbe.encode(value) }

    /// Host-runner jobs that do nothing, named as given, with `requires` as given.
    static func config(_ jobs: [(name: String, requires: [String], command: String)]) -> String {
        var text = "version: 2.1\njobs:\n"
        for job in jobs {
            text += """
                  \(job.name):
                    machine: true
                    resource_class: gyre/host
                    steps:
                      - run: \(job.command)

                """
        }
        text += "workflows:\n  main:\n    jobs:\n"
        for job in jobs {
            text += job.requires.isEmpty ? "      - \(job.name)\n"
                : "      - \(job.name):\n          requires: [\(job.requires.joined(separator: ", "))]\n"
        }
        return text
    }

    /// Runs a pipeline of no-op jobs and returns its workflow and jobs by name.
    func pipeline(_ name: String, _ jobs: [(String, [String])]) async throws
        -> (slug: String, workflow: UUID, jobs: [String: APIClient.Job]) {
        let system = try fixture
        let slug = try await system.project(name, config: Self.config(jobs.map { ($0.0, $0.1, "\"true\"") }))
        let created = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: created.id)
        try #require(outcome.status == "success", "\(outcome.pipeline.errors) \(system.logs())")
        let workflow = try #require(outcome.workflows.first)
        return (slug, workflow.workflow.id, Dictionary(uniqueKeysWithValues: workflow.jobs.map { ($0.name, $0) }))
    }

    // MARK: caches

    @Test func cachesAreImmutableAndFoundByPrefixInOrderNewestFirst() async throws {
        let system = try fixture
        let storage = try storage
        let run = try await pipeline("cache-api", [("noop", [])])
        let slug = run.slug
        let job = try #require(run.jobs["noop"])
        let base = "/internal/v1/caches/\(slug)"

        // The saving job is optional; when given, lookups name its build number.
        var put = await storage.send("PUT", "\(base)/blob?key=\(Self.q("v1-deps-aaa"))&job=\(Self.id(job.id))",
                                     body: Data("first".utf8))
        #expect(put.status == 201, "\(put.text)")
        #expect(try put.json()["created"] as? Bool == true)
        // A second save of the same key keeps the first (caches are immutable).
        put = await storage.send("PUT", "\(base)/blob?key=\(Self.q("v1-deps-aaa"))", body: Data("second".utf8))
        #expect(put.status == 200)
        #expect(try put.json()["created"] as? Bool == false)
        let blob = await storage.send("GET", "\(base)/blob?key=\(Self.q("v1-deps-aaa"))")
        #expect(blob.status == 200)
        #expect(blob.text == "first")
        #expect(await storage.send("HEAD", "\(base)/blob?key=\(Self.q("v1-deps-aaa"))").status == 200)
        #expect(await storage.send("HEAD", "\(base)/blob?key=\(Self.q("v1-deps-zzz"))").status == 404)
        #expect(await storage.send("GET", "\(base)/blob?key=\(Self.q("v1-deps-zzz"))").status == 404)

        // Newer saves under the same prefix win; prefixes are tried in order.
        #expect(await storage.send("PUT", "\(base)/blob?key=\(Self.q("v1-deps-bbb"))", body: Data("b".utf8)).status == 201)
        #expect(await storage.send("PUT", "\(base)/blob?key=\(Self.q("v1-other"))", body: Data("o".utf8)).status == 201)
        func lookup(_ prefixes: [String]) async throws -> (Int, String?, Int?) {
            let answer = await storage.send("GET", base + "?" + prefixes.map { "prefix=\(Self.q($0))" }.joined(separator: "&"))
            guard answer.status == 200 else { return (answer.status, nil, nil) }
            let json = try answer.json()
            #expect(json["created_at"] is String)
            #expect(json["build_num"] as? Int == (json["key"] as? String == "v1-deps-aaa" ? job.job_number : nil))
            return (200, json["key"] as? String, json["size"] as? Int)
        }
        #expect(try await lookup(["v1-deps-"]) == (200, "v1-deps-bbb", 1))
        #expect(try await lookup(["v1-deps-aaa", "v1-"]) == (200, "v1-deps-aaa", 5))
        #expect(try await lookup(["v1-"]) == (200, "v1-other", 1))
        #expect(try await lookup(["nothing-", "v1-deps"]) == (200, "v1-deps-bbb", 1))
        #expect(try await lookup(["v2-"]).0 == 404)
        // LIKE wildcards in a key are literal characters.
        #expect(try await lookup(["v1_"]).0 == 404)
        #expect(try await lookup(["v1-%"]).0 == 404)

        // Two agents saving the same new key at once: exactly one save is kept, and it is whole.
        let bodyA = Data(repeating: 0x41, count: 1 << 20), bodyB = Data(repeating: 0x42, count: 1 << 20)
        async let first = storage.send("PUT", "\(base)/blob?key=race", body: bodyA)
        async let second = storage.send("PUT", "\(base)/blob?key=race", body: bodyB)
        let answers = await [first, second]
        #expect(answers.map(\.status).sorted() == [200, 201])
        let kept = await storage.send("GET", "\(base)/blob?key=race")
        #expect(kept.body == (answers[0].status == 201 ? bodyA : bodyB))

        // Other projects do not see these caches; bad input is refused with a message.
        let other = try await system.project("cache-api-other", config: Self.config([("noop", [], "\"true\"")]))
        #expect(await storage.send("GET", "/internal/v1/caches/\(other)?prefix=v1-").status == 404)
        #expect(await storage.send("GET", "/internal/v1/caches/gh/acme/never-followed?prefix=v1-").status == 404)
        let noPrefix = await storage.send("GET", base)
        #expect(noPrefix.status == 400)
        #expect(try noPrefix.json()["message"] as? String != nil)
        #expect(await storage.send("PUT", "\(base)/blob", body: Data("x".utf8)).status == 400)
        #expect(await storage.send("PUT", "\(base)/blob?key=new&job=nope", body: Data("x".utf8)).status == 400)
        #expect(await storage.send("PUT", "/internal/v1/caches/\(other)/blob?key=new&job=\(Self.id(job.id))",
                                   body: Data("x".utf8)).status == 404)
        #expect(await storage.send("GET", "/internal/v1/caches/svn/acme/x?prefix=a").status == 400)
    }

    @Test func expiredCachesAreGoneForLookupsCanBeSavedAgainAndAreReaped() async throws {
        let system = try fixture
        let storage = try storage
        let slug = try await system.project("cache-expiry", config: Self.config([("noop", [], "\"true\"")]))
        let base = "/internal/v1/caches/\(slug)"
        let database = system.system.configuration.postgresURL
        /// Makes a cache look saved 20 days ago (the default retention is 15).
        func age(_ key: String) throws {
            try SystemFixture.shell(["psql", database, "-q", "-c",
                "UPDATE caches SET created_at = now() - interval '20 days' WHERE project_slug = '\(slug)' AND key = '\(key)'"])
        }
        #expect(await storage.send("PUT", "\(base)/blob?key=expiring", body: Data("v1".utf8)).status == 201)
        try age("expiring")
        #expect(await storage.send("GET", "\(base)?prefix=expiring").status == 404)
        #expect(await storage.send("HEAD", "\(base)/blob?key=expiring").status == 404)
        // An expired key can be saved again.
        let resave = await storage.send("PUT", "\(base)/blob?key=expiring", body: Data("v2".utf8))
        #expect(resave.status == 201, "\(resave.text)")
        #expect(await storage.send("GET", "\(base)/blob?key=expiring").text == "v2")
        #expect(await storage.send("GET", "\(base)?prefix=expiring").status == 200)

        // The reaper (at start, then hourly) deletes expired rows and their files.
        #expect(await storage.send("PUT", "\(base)/blob?key=doomed", body: Data("gone soon".utf8)).status == 201)
        let file = try SystemFixture.shell(["psql", database, "-At", "-c",
            "SELECT file FROM caches WHERE project_slug = '\(slug)' AND key = 'doomed'"]).trimmingCharacters(in: .whitespacesAndNewlines)
        let path = "\(system.system.storageDirectory)/\(file)"
        try #require(!file.isEmpty && FileManager.default.fileExists(atPath: path))
        try age("doomed")
        #expect(await system.system.signal("output-processor", SIGTERM) == .exited(0))
        try system.system.start("output-processor")
        try await system.system.waitUntilReady(timeout: .seconds(120))
        let deadline = ContinuousClock.now + .seconds(60)
        var remaining = "1"
        while ContinuousClock.now < deadline {
            remaining = try SystemFixture.shell(["psql", database, "-At", "-c",
                "SELECT count(*) FROM caches WHERE project_slug = '\(slug)' AND key = 'doomed'"]).trimmingCharacters(in: .whitespacesAndNewlines)
            if remaining == "0" { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(remaining == "0")
        #expect(!FileManager.default.fileExists(atPath: path))
        // Live caches stay.
        #expect(await storage.send("GET", "\(base)/blob?key=expiring").text == "v2")
    }

    // MARK: workspaces

    @Test func workspaceLayersComeFromUpstreamJobsInTheOrderTheyWerePersisted() async throws {
        let storage = try storage
        // a → b → c ; d alone ; e requires c and d.
        let run = try await pipeline("workspace-api", [("a", []), ("b", ["a"]), ("c", ["b"]), ("d", []), ("e", ["c", "d"])])
        let workflow = Self.id(run.workflow)
        func job(_ name: String) throws -> UUID { try #require(run.jobs[name]?.id) }
        func put(_ name: String, node: Int = 0, step: Int? = nil, _ body: String) async throws -> Int {
            let query = "?node=\(node)" + (step.map { "&step=\($0)" } ?? "")
            return await storage.send("PUT", "/internal/v1/workspaces/\(workflow)/layers/\(Self.id(try job(name)))\(query)",
                                      body: Data(body.utf8)).status
        }
        #expect(try await put("c", "layer-c") == 201)
        #expect(try await put("a", "layer-a0") == 201)
        #expect(try await put("a", node: 1, "layer-a1") == 201)
        #expect(try await put("d", "layer-d") == 201)
        #expect(try await put("b", "layer-b") == 201)

        /// The layers `name` attaches, as (job name + node, contents), in the order the agent extracts them.
        func layers(for name: String) async throws -> [String] {
            let answer = await storage.send("GET", "/internal/v1/workspaces/\(workflow)/layers?job=\(Self.id(try job(name)))")
            try #require(answer.status == 200, "\(answer.text)")
            let list = try #require(try answer.json()["layers"] as? [[String: Any]])
            let names = Dictionary(uniqueKeysWithValues: run.jobs.values.map { (Self.id($0.id), $0.name) })
            var result: [String] = []
            for layer in list {
                let jobId = (layer["job_id"] as? String ?? "").lowercased()
                let node = layer["node"] as? Int ?? -1
                let id = layer["id"] as? Int ?? -1
                let blob = await storage.send("GET", "/internal/v1/workspaces/\(workflow)/layers/\(jobId)/blob?node=\(node)&layer=\(id)")
                #expect(blob.status == 200)
                #expect(layer["size"] as? Int == blob.body.count)
                result.append("\(names[jobId] ?? "?")\(node)=\(blob.text)")
            }
            return result
        }
        #expect(try await layers(for: "e") == ["c0=layer-c", "a0=layer-a0", "a1=layer-a1", "d0=layer-d", "b0=layer-b"])
        #expect(try await layers(for: "c") == ["a0=layer-a0", "a1=layer-a1", "b0=layer-b"])
        #expect(try await layers(for: "b") == ["a0=layer-a0", "a1=layer-a1"])
        #expect(try await layers(for: "a").isEmpty)
        #expect(try await layers(for: "d").isEmpty)

        // A retried upload (the same bytes again) is stored once; a job's next persist step adds a layer.
        #expect(try await put("a", "layer-a0") == 201)
        #expect(try await layers(for: "b") == ["a0=layer-a0", "a1=layer-a1"])
        #expect(try await put("a", "layer-a0-second-step") == 201)
        #expect(try await layers(for: "b") == ["a0=layer-a0", "a1=layer-a1", "a0=layer-a0-second-step"])
        // Without a layer id, a blob GET gives the node's latest layer.
        let latest = await storage.send("GET", "/internal/v1/workspaces/\(workflow)/layers/\(Self.id(try job("a")))/blob?node=0")
        #expect(latest.text == "layer-a0-second-step")
        // With the step named, a retry replaces that step's layer even when its bytes differ.
        #expect(try await put("b", step: 4, "b-step4") == 201)
        #expect(try await put("b", step: 4, "b-step4-retried") == 201)
        #expect(try await layers(for: "c") == ["a0=layer-a0", "a1=layer-a1", "b0=layer-b", "a0=layer-a0-second-step",
                                               "b0=b-step4-retried"])

        // Wrong workflow, unknown job, unknown layer, bad ids.
        let otherWorkflow = Self.id(UUID())
        #expect(await storage.send("PUT", "/internal/v1/workspaces/\(otherWorkflow)/layers/\(Self.id(try job("a")))",
                                   body: Data("x".utf8)).status == 404)
        #expect(await storage.send("PUT", "/internal/v1/workspaces/\(workflow)/layers/\(Self.id(UUID()))",
                                   body: Data("x".utf8)).status == 404)
        #expect(await storage.send("GET", "/internal/v1/workspaces/\(workflow)/layers/\(Self.id(try job("e")))/blob?node=0").status == 404)
        #expect(await storage.send("GET", "/internal/v1/workspaces/\(workflow)/layers?job=nope").status == 400)
        #expect(await storage.send("GET", "/internal/v1/workspaces/\(workflow)/layers").status == 400)
        #expect(await storage.send("PUT", "/internal/v1/workspaces/\(workflow)/layers/\(Self.id(try job("a")))?node=-1",
                                   body: Data("x".utf8)).status == 400)
        #expect(await storage.send("PUT", "/internal/v1/workspaces/\(workflow)/layers/\(Self.id(try job("a")))?step=x",
                                   body: Data("x".utf8)).status == 400)
        #expect(await storage.send("GET", "/internal/v1/workspaces/\(workflow)/layers/\(Self.id(try job("a")))/blob?node=0&layer=999999").status == 404)
    }

    @Test func aRerunFromFailedSeesTheWorkspaceOfTheCopiedJobs() async throws {
        let system = try fixture
        let storage = try storage
        let marker = "\(system.runDirectory)/storage-rerun-\(UUID().uuidString)"
        // b fails the first time it runs and succeeds on the rerun.
        let slug = try await system.project("workspace-rerun", config: Self.config([
            ("a", [], "\"true\""),
            ("b", ["a"], "\"if [ -f \(marker) ]; then exit 0; fi; touch \(marker); exit 1\""),
        ]))
        let created = try await system.client.trigger(slug)
        let first = try await system.client.wait(for: created.id)
        let original = try #require(first.workflows.first)
        try #require(original.jobs.map(\.status) == ["success", "failed"], "\(system.logs())")
        let a = original.jobs[0].id
        #expect(await storage.send("PUT", "/internal/v1/workspaces/\(Self.id(original.workflow.id))/layers/\(Self.id(a))",
                                   body: Data("from-a".utf8)).status == 201)

        let rerun = try await system.client.rerun(workflow: original.workflow.id, fromFailed: true)
        let second = try await system.client.wait(for: created.id)
        let jobs = try #require(second.workflows.first { $0.workflow.id == rerun }?.jobs)
        let b = try #require(jobs.first { $0.name == "b" })
        #expect(b.status == "success")
        let answer = await storage.send("GET", "/internal/v1/workspaces/\(Self.id(rerun))/layers?job=\(Self.id(b.id))")
        #expect(answer.status == 200, "\(answer.text)")
        let layers = try #require(try answer.json()["layers"] as? [[String: Any]])
        // The copied job's layer is the original job's.
        #expect(layers.map { ($0["job_id"] as? String)?.lowercased() } == [Self.id(a)])
        let blob = await storage.send("GET", "/internal/v1/workspaces/\(Self.id(rerun))/layers/\(Self.id(a))/blob?node=0")
        #expect(blob.text == "from-a")
    }

    // MARK: artifacts

    @Test func artifactsAreListedAndDownloadedThroughThePublicAPI() async throws {
        let system = try fixture
        let storage = try storage
        let run = try await pipeline("artifact-api", [("build", [])])
        let build = try #require(run.jobs["build"])
        let number = try #require(build.job_number)
        func put(_ path: String, node: Int = 0, _ body: String) async -> StorageProbe.Answer {
            await storage.send("PUT", "/internal/v1/jobs/\(Self.id(build.id))/artifacts?node=\(node)&path=\(Self.q(path))",
                               body: Data(body.utf8))
        }
        #expect(await put("reports/summary.txt", "node zero").status == 201)
        #expect(await put("reports/summary.txt", node: 1, "node one").status == 201)
        #expect(await put("./with space/ü.html", "<p>hi</p>").status == 201)
        #expect(await put("reports/summary.txt", "node zero, again").status == 201)  // replaces
        #expect(await put("empty.log", "").status == 201)
        for bad in ["../escape.txt", "/etc/passwd", "a/../../b", ""] {
            let answer = await put(bad, "x")
            #expect(answer.status == 400, "\(bad)")
            #expect((try? answer.json()["message"] as? String)?.isEmpty == false)
        }
        #expect(await storage.send("PUT", "/internal/v1/jobs/\(Self.id(UUID()))/artifacts?path=x", body: Data("x".utf8)).status == 404)

        let items = try await system.client.artifacts(run.slug, job: number)
        #expect(items.map(\.path) == ["empty.log", "reports/summary.txt", "with space/ü.html", "reports/summary.txt"])
        #expect(items.map(\.node_index) == [0, 0, 0, 1])
        var downloads: [StorageProbe.Answer] = []
        for item in items {
            let download = await storage.get(url: item.url, token: system.adminToken)
            #expect(download.status == 200, "\(item.url)")
            downloads.append(download)
        }
        #expect(downloads.map(\.text) == ["", "node zero, again", "<p>hi</p>", "node one"])
        // Served with its type, but sandboxed: a job's HTML must not run as the API's origin.
        #expect(downloads[2].headers["content-type"]?.hasPrefix("text/html") == true)
        #expect(downloads[2].headers["content-security-policy"] == "sandbox")
        #expect(items[1].url.hasPrefix(system.system.apiURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))))

        let v11 = try await system.client.artifactsV11(run.slug, build: number)
        #expect(v11.map(\.pretty_path) == items.map(\.path))
        #expect(v11.map(\.url) == items.map(\.url))

        // v1.1 "latest" artifacts: the project's newest job, by branch and status filter.
        let api = system.system.apiURL.absoluteString.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        func latest(_ query: String) async -> StorageProbe.Answer {
            await storage.get(url: "\(api)/api/v1.1/project/\(run.slug)/latest/artifacts\(query)", token: system.adminToken)
        }
        for query in ["", "?branch=main", "?branch=main&filter=successful", "?filter=completed"] {
            let answer = await latest(query)
            #expect(answer.status == 200, "\(query): \(answer.text)")
            let list = try JSONDecoder().decode([APIClient.ArtifactV11].self, from: answer.body)
            #expect(list == v11, "\(query)")
        }
        #expect(await latest("?filter=failed").status == 404)
        #expect(await latest("?branch=elsewhere").status == 404)
        #expect(await latest("?filter=bogus").status == 400)

        let missing = await storage.get(url: system.system.apiURL.absoluteString + "/api/v2/project/\(run.slug)/\(number)/artifacts/0/nope.txt", token: system.adminToken)
        #expect(missing.status == 404)
        let unknownJob = try await system.client.send("GET", "api/v2/project/\(run.slug)/99999/artifacts")
        #expect(unknownJob.status == 404)
    }

    @Test func largeBodiesStreamThroughIntact() async throws {
        let system = try fixture
        let storage = try storage
        let run = try await pipeline("large-bodies", [("build", [])])
        let build = try #require(run.jobs["build"])
        // About 9 MiB: a random block repeated, each copy followed by its number, so a lost,
        // repeated or reordered chunk changes the bytes.
        var generator = SystemRandomNumberGenerator()
        let block = Data((0..<(64 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        var big = Data(capacity: 145 * block.count)
        for index in 0..<144 {
            big.append(block)
            big.append(contentsOf: [UInt8(index)])
        }

        let put = await storage.send("PUT", "/internal/v1/caches/\(run.slug)/blob?key=big", body: big)
        #expect(put.status == 201, "\(put.text)")
        let head = await storage.send("HEAD", "/internal/v1/caches/\(run.slug)/blob?key=big")
        #expect(head.headers["content-length"] == String(big.count))
        let cache = await storage.send("GET", "/internal/v1/caches/\(run.slug)/blob?key=big")
        #expect(cache.status == 200)
        #expect(cache.body == big)

        let artifact = await storage.send("PUT", "/internal/v1/jobs/\(Self.id(build.id))/artifacts?path=big.bin", body: big)
        #expect(artifact.status == 201, "\(artifact.text)")
        let items = try await system.client.artifacts(run.slug, job: try #require(build.job_number))
        let download = await storage.get(url: try #require(items.first?.url), token: system.adminToken)
        #expect(download.status == 200)
        #expect(download.body == big)
    }

    @Test func aParallelRunsUploadsCountForItsJob() async throws {
        let system = try fixture
        let storage = try storage
        let slug = try await system.project("parallel-storage", config: """
            version: 2.1
            jobs:
              split:
                machine: true
                resource_class: gyre/host
                parallelism: 2
                steps:
                  - run: "true"
              after:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: "true"
            workflows:
              main:
                jobs:
                  - split
                  - after:
                      requires: [split]
            """)
        let created = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: created.id)
        try #require(outcome.status == "success", "\(system.logs())")
        let workflow = try #require(outcome.workflows.first)
        let split = try #require(workflow.jobs.first { $0.name == "split" })
        let after = try #require(workflow.jobs.first { $0.name == "after" })
        let number = try #require(split.job_number)
        // The runs' own ids are not in the public API; read them from the database.
        let rows = try SystemFixture.shell(["psql", system.system.configuration.postgresURL, "-At", "-c",
            "SELECT id FROM jobs WHERE parent_id = '\(Self.id(split.id))' ORDER BY node_index"])
        let runs = rows.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        try #require(runs.count == 2, "runs: \(rows)")

        #expect(await storage.send("PUT", "/internal/v1/jobs/\(runs[1])/artifacts?node=1&path=out.txt",
                                   body: Data("from node 1".utf8)).status == 201)
        #expect(await storage.send("PUT", "/internal/v1/jobs/\(runs[0])/tests?node=0&file=r.xml",
                                   body: Self.report([("K", "t", "k_test.go", 0.25, nil)])).status == 201)
        #expect(await storage.send("PUT", "/internal/v1/workspaces/\(Self.id(workflow.workflow.id))/layers/\(runs[1])?node=1",
                                   body: Data("layer".utf8)).status == 201)

        let artifacts = try await system.client.artifacts(slug, job: number)
        #expect(artifacts.map(\.path) == ["out.txt"])
        #expect(artifacts.map(\.node_index) == [1])
        #expect(try await system.client.tests(slug, job: number).map(\.name) == ["t"])
        let layers = await storage.send("GET",
            "/internal/v1/workspaces/\(Self.id(workflow.workflow.id))/layers?job=\(Self.id(after.id))")
        let list = try #require(try layers.json()["layers"] as? [[String: Any]])
        // A run's layer is its job's.
        #expect(list.map { ($0["job_id"] as? String)?.lowercased() } == [Self.id(split.id)])
        #expect(list.map { $0["node"] as? Int } == [1])
    }

    // MARK: test results and timings

    static func report(_ cases: [(classname: String, name: String, file: String, time: Double, failure: String?)]) -> Data {
        var xml = "<?xml version=\"1.0\"?>\n<testsuites><testsuite name=\"suite\">\n"
        for test in cases {
            xml += "<testcase classname=\"\(test.classname)\" name=\"\(test.name)\" file=\"\(test.file)\" time=\"\(test.time)\">"
            if let failure = test.failure { xml += "<failure message=\"\(failure)\">trace</failure>" }
            xml += "</testcase>\n"
        }
        return Data((xml + "</testsuite></testsuites>\n").utf8)
    }

    @Test func junitReportsBecomeTestResultsAndTimings() async throws {
        let system = try fixture
        let storage = try storage
        let run = try await pipeline("tests-api", [("unit", []), ("later", ["unit"])])
        let unit = try #require(run.jobs["unit"])
        let later = try #require(run.jobs["later"])
        func put(_ job: APIClient.Job, _ file: String, node: Int = 0, _ body: Data) async -> StorageProbe.Answer {
            await storage.send("PUT", "/internal/v1/jobs/\(Self.id(job.id))/tests?node=\(node)&file=\(Self.q(file))", body: body)
        }
        let first = Self.report([("A", "t1", "a_test.rb", 1.0, nil), ("A", "t2", "a_test.rb", 2.0, "boom"),
                                 ("B", "t3", "b_test.rb", 4.0, nil)])
        var answer = await put(unit, "rspec/results.xml", first)
        #expect(answer.status == 201, "\(answer.text)")
        #expect(try answer.json()["tests"] as? Int == 3)
        // A retry of the same report replaces its rows; another node adds its own.
        #expect(await put(unit, "rspec/results.xml", first).status == 201)
        #expect(await put(unit, "results.xml", node: 1, Self.report([("C", "t4", "", 0.5, nil)])).status == 201)

        answer = await put(unit, "broken.xml", Data("<testsuite><testcase name=\"x\"></testsuite>".utf8))
        #expect(answer.status == 400)
        let message = try #require(try answer.json()["message"] as? String)
        #expect(message.contains("broken.xml"))
        #expect(message.contains("line"))

        let tests = try await system.client.tests(run.slug, job: try #require(unit.job_number))
        #expect(tests.map(\.name) == ["t1", "t2", "t3", "t4"])
        #expect(tests.map(\.result) == ["success", "failure", "success", "success"])
        #expect(tests.map(\.source) == ["rspec", "rspec", "rspec", "unknown"])
        #expect(tests[0].message == nil)
        #expect(tests[1].message == "boom\ntrace")
        #expect(tests[1].run_time == 2.0)
        #expect(tests[0].file == "a_test.rb" && tests[0].classname == "A")
        let v11 = try await system.client.testsV11(run.slug, build: try #require(unit.job_number))
        #expect(v11 == tests)
        // null, not missing, for a passing test's message (the v2 shape requires the key).
        let raw = try await system.client.send("GET", "api/v2/project/\(run.slug)/\(try #require(unit.job_number))/tests")
        #expect(raw.body.contains("\"message\":null"))
        #expect(raw.body.contains("\"next_page_token\":null"))

        // Timings use each test's most recent result: t1 ran again (3 s) in a later job.
        #expect(await put(later, "rspec/results.xml", Self.report([("A", "t1", "a_test.rb", 3.0, nil)])).status == 201)
        let timings = await storage.send("GET", "/internal/v1/projects/\(run.slug)/timings")
        #expect(timings.status == 200)
        let json = try timings.json()
        #expect(json["files"] as? [String: Double] == ["a_test.rb": 5.0, "b_test.rb": 4.0])
        #expect(json["classnames"] as? [String: Double] == ["A": 5.0, "B": 4.0, "C": 0.5])
        #expect(json["names"] as? [String: Double] == ["t1": 3.0, "t2": 2.0, "t3": 4.0, "t4": 0.5])
        #expect(await storage.send("GET", "/internal/v1/projects/gh/acme/never-followed/timings").status == 404)
    }
}
}
