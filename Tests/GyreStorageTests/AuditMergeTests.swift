import Foundation
import GyreModel
import GyreProtocol
import GyreStore
import Testing

/// A relay sends the audit events of several outbox rows as one message.
@Suite struct AuditMergeTests {
    static func body(_ events: [AuditEvent]) -> String {
        String(decoding: MessageCodec.encode(AuditEventsRecorded(events: events)), as: UTF8.self)
    }

    static func event(_ action: String) -> AuditEvent {
        AuditEvent(action: action, actor: .system, target: AuditEvent.Entity(id: "t", type: "test"), payload: ["x": "a,]}"])
    }

    @Test func mergedBodiesHoldEveryEventOnce() throws {
        let a = Self.event("a")
        let b = Self.event("b")
        let c = Self.event("c")
        let merged = try #require(AuditEvents.merge([Self.body([a]), Self.body([b, c])]))
        let decoded = try MessageCodec.decode(AuditEventsRecorded.self, from: Array(merged.utf8))
        #expect(decoded.events.map(\.id) == [a.id, b.id, c.id])
        #expect(decoded.events.map(\.payload) == [a.payload, b.payload, c.payload])
        #expect(AuditEvents.merge([Self.body([a]), "{\"other\": 1}"]) == nil)
        #expect(AuditEvents.merge([Self.body([])]).map { Array($0.utf8) }.map {
            (try? MessageCodec.decode(AuditEventsRecorded.self, from: $0))?.events.count } == 0)
    }
}
