import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GyreLocal
import GyreModel
import Testing

/// The audit log end to end: services record events through their outboxes,
/// the audit-log service stores them once and writes period files, and
/// admins read them through the frontend (JSON pages and CSV).
extension EndToEnd {
@Suite struct AuditLogTests {
    struct Page: Decodable {
        var items: [AuditEvent]
        var next_page_token: String?
    }

    static func url(_ system: SystemFixture, _ query: String, csv: Bool = false) -> URL {
        URL(string: system.system.apiURL.absoluteString + "/api/gyre/audit-log\(csv ? ".csv" : "")?" + query)!
    }

    /// Every event the admin API returns for a query, following the page tokens.
    static func events(_ system: SystemFixture, _ query: String, limit: Int = 1000) async throws -> [AuditEvent] {
        var events: [AuditEvent] = []
        var token: String?
        repeat {
            let page = "\(query)&limit=\(limit)" + (token.map { "&page-token=\($0)" } ?? "")
            let (status, data) = await system.http.send("GET", url(system, page), body: nil)
            try #require(status == 200, "\(String(decoding: data, as: UTF8.self))")
            let decoded = try JSONDecoder().decode(Page.self, from: data)
            events += decoded.items
            token = decoded.next_page_token
        } while token != nil
        return events
    }

    /// Polls until `done` holds for the events of `query` (the audit-log service stores them asynchronously).
    static func waitForEvents(_ system: SystemFixture, _ query: String, timeout: Duration = .seconds(30),
                              until done: ([AuditEvent]) -> Bool) async throws -> [AuditEvent] {
        let deadline = ContinuousClock.now + timeout
        var last: [AuditEvent] = []
        while ContinuousClock.now < deadline {
            last = try await events(system, query)
            if done(last) { return last }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("audit events did not arrive: \(last.map(\.action))\n\(system.logs())")
        return last
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func jobsApprovalsAndSettingChangesAreAuditedWithEveryField() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let slug = try await system.project("audited", config: approvalWorkflow(contexts: ["audit-keys"]))
        let project = try Self.json(await system.http.get(api.appendingPathComponent("api/v2/project/\(slug)")).1)
        let projectId = try #require(project["id"] as? String)
        let orgId = try #require(project["organization_id"] as? String)
        let me = try Self.json(await system.http.get(api.appendingPathComponent("api/v2/me")).1)
        let adminId = try #require(me["id"] as? String)

        try await system.context("audit-keys")
        let pipeline = try await system.client.trigger(slug)
        let workflow = try #require(try await system.client.waitForWorkflows(pipeline: pipeline.id).first)
        let (_, held) = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in workflow.status == "on_hold" }
        let hold = try #require(held.first { $0.name == "hold" })
        let workflowId = workflow.id.uuidString.lowercased()
        // The approval carries a request id, a client trace id and a forwarded-for header that is not trusted.
        let approved = await system.http.send(
            "POST", api.appendingPathComponent("api/v2/workflow/\(workflowId)/approve/\(hold.id.uuidString.lowercased())"),
            body: nil, headers: ["X-Request-Id": "req-approve-1", "X-Client-Trace-Id": "trace-approve-1",
                                 "X-Forwarded-For": "203.0.113.9"])
        #expect(approved.0 == 202, "\(String(decoding: approved.1, as: UTF8.self))")
        let (done, jobs) = try await system.client.waitForWorkflow(workflow.id) { workflow, _ in
            ["success", "failed", "canceled"].contains(workflow.status)
        }
        #expect(done.status == "success", "\(system.logs())")
        let settings = await system.http.send(
            "PATCH", api.appendingPathComponent("api/v2/project/\(slug)/settings"),
            body: Data(#"{"advanced": {"autocancel_builds": true}}"#.utf8),
            headers: ["X-Request-Id": "req-settings-1", "X-Client-Trace-Id": "trace-settings-1"])
        #expect(settings.0 == 200)

        // scheduled: build, deploy; start: build, deploy; finish: build, hold, deploy; approve: hold; settings: 1.
        let events = try await Self.waitForEvents(system, "target=\(projectId)") { events in
            events.count >= 9
        }
        func find(_ action: String, _ job: String) -> [AuditEvent] {
            events.filter {
                guard $0.action == action, case .object(let payload)? = $0.payload["job"], case .string(let name)? = payload["job_name"]
                else { return false }
                return name == job
            }
        }
        let ids = Dictionary(jobs.map { ($0.name, $0.id.uuidString.lowercased()) }, uniquingKeysWith: { first, _ in first })
        let expected: [(String, String, String)] = [
            ("workflow.job.scheduled", "build", "queued"), ("workflow.job.scheduled", "deploy", "queued"),
            ("workflow.job.start", "build", "running"), ("workflow.job.start", "deploy", "running"),
            ("workflow.job.finish", "build", "success"), ("workflow.job.finish", "hold", "success"),
            ("workflow.job.finish", "deploy", "success"), ("workflow.job.approve", "hold", "success"),
        ]
        for (action, name, status) in expected {
            let found = find(action, name)
            #expect(found.count == 1, "\(action) \(name): \(found.count) events")
            guard let event = found.first else { continue }
            #expect(event.actor == AuditEvent.Entity(id: adminId, type: "user", name: "admin"), "\(action) \(name)")
            #expect(event.target == AuditEvent.Entity(id: projectId, type: "project", name: slug))
            #expect(event.scope == AuditEvent.Entity(id: orgId, type: "organization", name: "acme"))
            #expect(event.version == 1 && event.success && event.metadata.isEmpty)
            #expect(event.payload["job"] == .object([
                "id": .string(ids[name] ?? "?"), "job_name": .string(name), "job_status": .string(status),
                "contexts": name == "deploy" ? ["audit-keys"] : [],
            ]), "\(action) \(name): \(event.payload)")
            #expect(event.payload["workflow"] == ["id": .string(workflowId), "vcs_branch": "main"])
            if action == "workflow.job.approve" {
                #expect(event.request == AuditEvent.Request(id: "req-approve-1", ipAddress: "127.0.0.1",
                                                            clientTraceId: "trace-approve-1"))
            } else {
                #expect(event.request == nil, "\(action) \(name) was caused by no request")
            }
        }
        // In order: scheduled before start before finish, for each job that ran.
        for name in ["build", "deploy"] {
            let times = ["workflow.job.scheduled", "workflow.job.start", "workflow.job.finish"].compactMap {
                find($0, name).first?.occurredAt
            }
            #expect(times.count == 3 && times == times.sorted(), "\(name): \(times)")
        }
        let update = try #require(events.first { $0.action == "project.settings.update" })
        #expect(update.actor == AuditEvent.Entity(id: adminId, type: "user", name: "admin"))
        #expect(update.target == AuditEvent.Entity(id: projectId, type: "project", name: slug))
        #expect(update.scope?.id == orgId)
        #expect(update.request == AuditEvent.Request(id: "req-settings-1", ipAddress: "127.0.0.1", clientTraceId: "trace-settings-1"))
        #expect(update.payload == ["changed": ["advanced.autocancel_builds"], "advanced": ["autocancel_builds": true]])
        #expect(events.count == 9, "\(events.map(\.action))")
        #expect(Set(events.map(\.id)).count == events.count)
        #expect(events.map(\.occurredAt) == events.map(\.occurredAt).sorted(), "oldest first")

        // Filters, and pages that add up to the whole.
        let finishes = try await Self.events(system, "target=\(projectId)&action=workflow.job.finish")
        #expect(finishes.count == 3 && finishes.allSatisfy { $0.action == "workflow.job.finish" })
        let byActor = try await Self.events(system, "target=\(projectId)&actor=\(adminId)")
        #expect(byActor.count == 9)
        let paged = try await Self.events(system, "target=\(projectId)", limit: 2)
        #expect(paged.map(\.id) == events.map(\.id))
        let after = AuditTimestamp.format(update.occurredAt.addingTimeInterval(0.001))
        #expect(try await Self.events(system, "target=\(projectId)&from=\(after)").isEmpty)
        let upTo = AuditTimestamp.format(update.occurredAt)
        #expect(try await Self.events(system, "target=\(projectId)&to=\(upTo)").count == 8, "to is exclusive")

        // The CSV: the field names, then one row per event with the nested fields as JSON.
        let (csvStatus, csvData) = await system.http.send("GET", Self.url(system, "target=\(projectId)", csv: true), body: nil)
        #expect(csvStatus == 200)
        let rows = AuditCSV.parse(String(decoding: csvData, as: UTF8.self))
        try #require(rows.count == 10, "\(rows.count) rows")
        #expect(rows[0] == AuditEvent.fieldNames)
        #expect(rows.dropFirst().map { $0[0] } == events.map { $0.id.uuidString.lowercased() })
        let approveRow = try #require(rows.first { $0[1] == "workflow.job.approve" })
        #expect(try JSONDecoder().decode(AuditEvent.Request.self, from: Data(approveRow[10].utf8)).clientTraceId == "trace-approve-1")
        #expect(try JSONDecoder().decode(AuditEvent.Entity.self, from: Data(approveRow[2].utf8)).id == adminId)
        #expect(try Self.json(approveRow[5])["workflow"] != nil)
        let jobRow = try #require(rows.first { $0[1] == "workflow.job.start" })
        #expect(jobRow[10] == "" && jobRow[8] == "1" && jobRow[9] == "true")
        #expect(AuditTimestamp.parse(jobRow[7]) != nil && jobRow[7].hasSuffix("Z"))
    }

    @Test func onlyInstallationAdminsReadTheLogAndBadQueriesAre400() async throws {
        let system = try fixture
        let gyre = "\(system.system.configuration.binDirectory)/gyre"
        let db = system.system.configuration.postgresURL
        _ = try SystemFixture.shell([gyre, "admin", "create-user", "erin", "--postgres-url", db])
        let token = try SystemFixture.shell([gyre, "admin", "create-token", "erin", "--postgres-url", db])
            .trimmingCharacters(in: .whitespacesAndNewlines)
        for csv in [false, true] {
            let url = Self.url(system, "limit=1", csv: csv)
            let (forbidden, body) = await HTTPProbe.authenticated(token).send("GET", url, body: nil)
            #expect(forbidden == 403, "\(String(decoding: body, as: UTF8.self))")
            #expect(try Self.json(String(decoding: body, as: UTF8.self))["message"] != nil)
            #expect(await HTTPProbe().send("GET", url, body: nil).0 == 401)
            #expect(await system.http.send("GET", url, body: nil).0 == 200)
        }
        for bad in ["from=yesterday", "limit=0", "limit=5000", "page-token=nonsense!", "from=2026-11-28&to=2026-11-27"] {
            for csv in [false, true] {
                let (status, body) = await system.http.send("GET", Self.url(system, bad, csv: csv), body: nil)
                let text = String(decoding: body, as: UTF8.self)
                #expect(status == 400, "\(bad): \(text)")
                #expect((try? Self.json(text))?["message"] is String, "\(bad): \(text)")
            }
        }
        // The download is an attachment.
        var request = URLRequest(url: Self.url(system, "limit=1", csv: true))
        request.setValue(system.adminToken, forHTTPHeaderField: "Circle-Token")
        let (_, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        #expect(http.statusCode == 200)
        #expect((http.value(forHTTPHeaderField: "Content-Disposition") ?? "").hasPrefix("attachment"))
        #expect((http.value(forHTTPHeaderField: "Content-Type") ?? "").hasPrefix("text/csv"))
    }

    @Test func aDuplicateDeliveryIsStoredOnce() async throws {
        let system = try fixture
        let id = UUID()
        let event = AuditEvent(id: id, action: "test.duplicate", actor: .system,
                               target: AuditEvent.Entity(id: "duplicate-target", type: "test"),
                               payload: ["n": 1], request: nil)
        let body = String(decoding: try JSONEncoder().encode(["events": [event]]), as: UTF8.self)
            .replacingOccurrences(of: "'", with: "''")
        func enqueue() throws {
            // As a relay does after a crash between publishing and deleting: the same message again.
            _ = try system.sql("""
                INSERT INTO outbox (message_id, routing_key, type, body)
                VALUES (gen_random_uuid(), 'audit.event', 'audit.events', '\(body)')
                """)
        }
        let metrics = system.system.url(of: "audit-log", path: "/metrics")
        func duplicates() async -> Int {
            let text = await HTTPProbe().get(metrics).1
            let line = text.split(separator: "\n").first { $0.hasPrefix("gyre_audit_events_duplicate_total") }
            return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? 0) } ?? 0
        }
        let before = await duplicates()
        // A message the database cannot read does not hold the others back (it is dropped after one retry).
        _ = try system.sql("""
            INSERT INTO outbox (message_id, routing_key, type, body)
            VALUES (gen_random_uuid(), 'audit.event', 'audit.events', '{"events": [{"id": "not-a-uuid"}]}')
            """)
        try enqueue()
        _ = try await Self.waitForEvents(system, "target=duplicate-target") { $0.count == 1 }
        try enqueue()
        try enqueue()
        // Relays deliver on their next sweep; the audit-log service counts the copies it dropped.
        let deadline = ContinuousClock.now + .seconds(30)
        while await duplicates() < before + 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(await duplicates() >= before + 2)
        let stored = try await Self.events(system, "target=duplicate-target")
        #expect(stored.map(\.id) == [id])
        #expect(try system.sql("SELECT count(*) FROM audit_events WHERE id = '\(id.uuidString.lowercased())'") == ["1"])
    }

    @Test func completedPeriodsAreWrittenAsFilesEachEventOnce() async throws {
        let system = try fixture
        let slug = try await system.project("audit-files", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        let api = system.system.apiURL
        for value in [true, false] {
            let answer = await system.http.send("PATCH", api.appendingPathComponent("api/v2/project/\(slug)/settings"),
                                                body: Data(#"{"advanced": {"autocancel_builds": \#(value)}}"#.utf8))
            #expect(answer.0 == 200)
        }
        let project = try Self.json(await system.http.get(api.appendingPathComponent("api/v2/project/\(slug)")).1)
        let projectId = try #require(project["id"] as? String)
        let changes = try await Self.waitForEvents(system, "target=\(projectId)") { $0.count == 2 }
        let wanted = Set(changes.map(\.id))
        try #require(wanted.count == 2)

        // The fixture's period is 1 s: the files appear within seconds.
        let directory = "\(system.system.storageDirectory)/audit-logs/audit_log/v1"
        func files() throws -> [String: [AuditEvent]] {
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            var result: [String: [AuditEvent]] = [:]
            for name in names where name.hasSuffix(".json") && !name.hasPrefix(".") {
                let data = try Data(contentsOf: URL(fileURLWithPath: "\(directory)/\(name)"))
                result[name] = try JSONDecoder().decode([AuditEvent].self, from: data)
            }
            return result
        }
        let deadline = ContinuousClock.now + .seconds(30)
        var written: [String: [AuditEvent]] = [:]
        while ContinuousClock.now < deadline {
            written = try files()
            if wanted.isSubset(of: Set(written.values.flatMap { $0 }.map(\.id))) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        let all = written.values.flatMap { $0 }
        #expect(wanted.isSubset(of: Set(all.map(\.id))), "files: \(written.keys.sorted())")
        #expect(Set(all.map(\.id)).count == all.count, "an event is in one file only")
        for (name, events) in written {
            // 2026-11-27T17-00-00Z.json: the period's start; its events occurred before its end, oldest first.
            let stamp = name.replacingOccurrences(of: ".json", with: "")
            let parts = stamp.split(separator: "T")
            let start = try #require(AuditTimestamp.parse("\(parts[0])T\(parts[1].replacingOccurrences(of: "-", with: ":"))"),
                                     "file name \(name)")
            #expect(!events.isEmpty)
            #expect(events.allSatisfy { $0.occurredAt < start.addingTimeInterval(1) }, "\(name)")
            #expect(events.map(\.occurredAt) == events.map(\.occurredAt).sorted(), "\(name)")
        }
        let changed = all.filter { wanted.contains($0.id) }
        #expect(changed.allSatisfy { $0.action == "project.settings.update" && $0.target.id == projectId })
        // The database agrees: each file recorded once, its events marked.
        let recorded = try system.sql("SELECT path FROM audit_files ORDER BY period_start")
        #expect(Set(recorded.map { ($0 as NSString).lastPathComponent }).isSuperset(of: Set(written.keys)))
        #expect(Set(recorded).count == recorded.count)
    }
}
}
