import Foundation
import GyreModel
import Testing

/// The audit event's JSON shape (the fields and names CircleCI Server documents), its timestamp format,
/// the CSV export and the arithmetic of the period files.
@Suite struct AuditEventTests {
    static let event = AuditEvent(
        id: UUID(uuidString: "27AA77E3-0255-4464-93AD-F8236533AB53")!,
        action: "workflow.job.finish",
        actor: .user(UUID(uuidString: "27075c88-9ba4-47d7-8523-fa576e839bfd")!, name: "alice"),
        target: .project(UUID(uuidString: "3c4886e1-b810-4765-a1a2-d588e6e4b9cb")!, slug: "gh/acme/app"),
        scope: .organization(UUID(uuidString: "9a0d6b58-0b5e-4c2e-9d36-1f3a2b7c8d90")!, name: "acme"),
        payload: ["job": ["id": "e8cef7c4-60d4-429b-8c94-09c05f309408", "contexts": [], "job_name": "remote_docker",
                          "job_status": "success"],
                  "workflow": ["id": "c022ca3c-5f6f-41ba-a6ca-05977f6a336a", "vcs_branch": "master"]],
        metadata: ["source": "test"],
        occurredAt: Date(timeIntervalSince1970: 1_513_864_254.474),
        request: .init(id: "req-1", ipAddress: "127.0.0.1", clientTraceId: "trace-9"))

    static func object(_ event: AuditEvent) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode(event)) as? [String: Any])
    }

    @Test func everyFieldIsWrittenWithTheDocumentedName() throws {
        let json = try Self.object(Self.event)
        #expect(Set(json.keys) == Set(AuditEvent.fieldNames))
        #expect(json["id"] as? String == "27aa77e3-0255-4464-93ad-f8236533ab53")
        #expect(json["action"] as? String == "workflow.job.finish")
        #expect(json["version"] as? Int == 1)
        #expect(json["success"] as? Bool == true)
        #expect(json["occurred_at"] as? String == "2017-12-21T13:50:54.474000Z")
        let actor = try #require(json["actor"] as? [String: String])
        #expect(actor == ["id": "27075c88-9ba4-47d7-8523-fa576e839bfd", "type": "user", "name": "alice"])
        #expect(json["target"] as? [String: String] == ["id": "3c4886e1-b810-4765-a1a2-d588e6e4b9cb", "type": "project",
                                                          "name": "gh/acme/app"])
        #expect((json["scope"] as? [String: String])?["type"] == "organization")
        #expect(json["metadata"] as? [String: String] == ["source": "test"])
        let request = try #require(json["request"] as? [String: String])
        #expect(request == ["id": "req-1", "ip_address": "127.0.0.1", "client_trace_id": "trace-9"])
        let job = try #require((json["payload"] as? [String: Any])?["job"] as? [String: Any])
        #expect(job["job_name"] as? String == "remote_docker")
        #expect((job["contexts"] as? [Any])?.isEmpty == true)
    }

    @Test func absentScopeRequestAndNameAreNullOrLeftOut() throws {
        var event = Self.event
        event.scope = nil
        event.request = nil
        event.actor = AuditEvent.Entity(id: "x", type: "system")
        let json = try Self.object(event)
        #expect(json["scope"] is NSNull)
        #expect(json["request"] is NSNull)
        #expect((json["actor"] as? [String: Any]).map { Set($0.keys) } == ["id", "type"])
        var traced = Self.event
        traced.request = .init(id: "r", ipAddress: nil, clientTraceId: nil)
        let request = try #require(try Self.object(traced)["request"] as? [String: Any])
        #expect(request["client_trace_id"] is NSNull && request["ip_address"] is NSNull && request["id"] as? String == "r")
    }

    @Test func decodingGivesTheSameEvent() throws {
        let data = try JSONEncoder().encode(Self.event)
        #expect(try JSONDecoder().decode(AuditEvent.self, from: data) == Self.event)
        // The seed's own example (no scope, metadata or occurred_at fraction beyond ms) reads too.
        let seed = """
            {"id": "27aa77e3-0255-4464-93ad-f8236533ab53", "version": 1, "action": "workflow.job.finish", "success": true,
             "payload": {"job": {"id": "e8cef7c4", "contexts": [], "job_name": "remote_docker", "job_status": "success"}},
             "target": {"id": "3c4886e1-b810-4765-a1a2-d588e6e4b9cb", "type": "project"}, "request": {"id": ""},
             "actor": {"id": "27075c88-9ba4-47d7-8523-fa576e839bfd", "type": "user"}, "occurred_at": "2017-12-21T13:50:54.474Z"}
            """
        let read = try JSONDecoder().decode(AuditEvent.self, from: Data(seed.utf8))
        #expect(read.target.name == nil && read.scope == nil && read.request?.id == "" && read.metadata.isEmpty)
        #expect(abs(read.occurredAt.timeIntervalSince1970 - 1_513_864_254.474) < 0.000_001)
    }

    @Test func timestampsAreUTCWithFractionsOfUpToNineDigits() throws {
        #expect(AuditTimestamp.format(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000000Z")
        #expect(AuditTimestamp.format(Date(timeIntervalSince1970: 1_795_798_800.000_25)) == "2026-11-27T17:00:00.000250Z")
        #expect(AuditTimestamp.format(Date(timeIntervalSince1970: 951_782_400)) == "2000-02-29T00:00:00.000000Z")
        #expect(AuditTimestamp.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500000Z")
        let nine = try #require(AuditTimestamp.parse("2017-12-21T13:50:54.474123456Z"))
        #expect(abs(nine.timeIntervalSince1970 - 1_513_864_254.474_123_456) < 0.000_001)
        #expect(AuditTimestamp.parse("2017-12-21T13:50:54Z")?.timeIntervalSince1970 == 1_513_864_254)
        #expect(AuditTimestamp.parse("2017-12-21T14:50:54+01:00")?.timeIntervalSince1970 == 1_513_864_254)
        for bad in ["2017-12-21T13:50:54.1234567890Z", "2017-12-21 13:50:54Z", "2017-13-21T13:50:54Z", "2017-12-21T13:50:54",
                    "2017-12-21T13:50:54.Z", "yesterday", "2017-12-21T13:50:54Zjunk"] {
            #expect(AuditTimestamp.parse(bad) == nil, "\(bad)")
        }
        // Every microsecond survives a round trip.
        for micros in [Int64(0), 1, 999_999, 1_795_798_800_123_456] {
            let date = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
            let back = try #require(AuditTimestamp.parse(AuditTimestamp.format(date)))
            #expect(Int64((back.timeIntervalSince1970 * 1_000_000).rounded()) == micros)
        }
    }

    @Test func csvQuotesCommasQuotesAndLineBreaksInTheJSONBlobs() throws {
        var event = Self.event
        event.payload = ["note": "a, \"quoted\"\nsecond line", "n": 3]
        event.scope = nil
        let text = AuditCSV.header + AuditCSV.row(event)
        #expect(text.hasPrefix("id,action,actor,target,scope,payload,metadata,occurred_at,version,success,request\r\n"))
        let rows = AuditCSV.parse(text)
        try #require(rows.count == 2)
        #expect(rows[0] == AuditEvent.fieldNames)
        let row = rows[1]
        try #require(row.count == AuditEvent.fieldNames.count)
        #expect(row[0] == "27aa77e3-0255-4464-93ad-f8236533ab53" && row[1] == "workflow.job.finish")
        #expect(row[4] == "", "no scope is an empty field")
        let payload = try #require(JSONSerialization.jsonObject(with: Data(row[5].utf8)) as? [String: Any])
        #expect(payload["note"] as? String == "a, \"quoted\"\nsecond line")
        let actor = try JSONDecoder().decode(AuditEvent.Entity.self, from: Data(row[2].utf8))
        #expect(actor == Self.event.actor)
        #expect(row[7] == "2017-12-21T13:50:54.474000Z" && row[8] == "1" && row[9] == "true")
        #expect(try JSONDecoder().decode(AuditEvent.Request.self, from: Data(row[10].utf8)) == Self.event.request)
        // Fields with nothing special are left unquoted; quotes inside quoted fields are doubled.
        #expect(AuditCSV.quote("plain") == "plain")
        #expect(AuditCSV.quote("a\"b") == "\"a\"\"b\"")
        #expect(AuditCSV.quote("a\r\nb") == "\"a\r\nb\"")
    }

    @Test func periodsAreAlignedAndNamedByTheirStart() {
        let date = Date(timeIntervalSince1970: 1_795_802_399.9)  // 2026-11-27T17:59:59.9Z
        let hour = AuditPeriod(containing: date, seconds: 3600)
        #expect(hour.start == 1_795_798_800 && hour.end == 1_795_802_400)
        #expect(hour.fileName == "2026-11-27T17-00-00Z.json")
        #expect(hour.relativePath == "audit-logs/audit_log/v1/2026-11-27T17-00-00Z.json")
        #expect(hour.next.fileName == "2026-11-27T18-00-00Z.json")
        #expect(AuditPeriod(containing: Date(timeIntervalSince1970: 1_795_802_400), seconds: 3600) == hour.next)
        #expect(AuditPeriod(containing: Date(timeIntervalSince1970: 7.5), seconds: 2).start == 6)
        #expect(AuditPeriod(containing: Date(timeIntervalSince1970: -0.5), seconds: 2).start == -2)
        // Complete only after its end plus the grace.
        #expect(AuditPeriod.grace(for: 3600) == 60 && AuditPeriod.grace(for: 1) == 1 && AuditPeriod.grace(for: 86_400) == 60)
        #expect(!hour.isComplete(at: Date(timeIntervalSince1970: 1_795_802_459), grace: 60))
        #expect(hour.isComplete(at: Date(timeIntervalSince1970: 1_795_802_460), grace: 60))
    }

    @Test func lateEventsGoIntoTheFirstPeriodNotWrittenYet() {
        let late = Date(timeIntervalSince1970: 1_795_798_900)  // 17:01:40, in the 17:00 hour
        // Nothing written yet, or only earlier hours: its own hour.
        #expect(AuditPeriod.target(of: late, lastWrittenEnd: nil, seconds: 3600).start == 1_795_798_800)
        #expect(AuditPeriod.target(of: late, lastWrittenEnd: 1_795_798_800, seconds: 3600).start == 1_795_798_800)
        // Its hour was written already: the hour after the last one written.
        #expect(AuditPeriod.target(of: late, lastWrittenEnd: 1_795_802_400, seconds: 3600).start == 1_795_802_400)
        #expect(AuditPeriod.target(of: late, lastWrittenEnd: 1_795_809_600, seconds: 3600).start == 1_795_809_600)
    }

    @Test func queryParametersAreCheckedAndPageTokensRoundTrip() throws {
        let cursor = AuditCursor(occurredAt: Date(timeIntervalSince1970: 1_795_798_800.123456), id: UUID())
        #expect(AuditCursor(token: cursor.token) == cursor)
        #expect(cursor.micros == 1_795_798_800_123_456)
        let query = try AuditQuery.parse(["from": "2026-11-27", "to": "2026-11-27T18:00:00Z", "action": "workflow.job.start",
                                          "actor": "ABC", "limit": "5", "page-token": cursor.token])
        #expect(query.from?.timeIntervalSince1970 == 1_795_737_600 && query.to?.timeIntervalSince1970 == 1_795_802_400)
        #expect(query.action == "workflow.job.start" && query.actor == "abc" && query.limit == 5 && query.cursor == cursor)
        #expect(try AuditQuery.parse([:]) == AuditQuery())
        for bad: [String: String] in [["from": "noon"], ["limit": "0"], ["limit": "1001"], ["limit": "x"],
                                      ["page-token": "%%%"], ["from": "2026-11-28", "to": "2026-11-27"]] {
            #expect(throws: AuditQuery.Invalid.self, "\(bad)") { try AuditQuery.parse(bad) }
        }
    }
}
