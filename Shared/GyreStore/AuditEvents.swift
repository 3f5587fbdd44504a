import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// Records audit events through the caller's outbox, inside the caller's
/// transaction: the event commits with the action or not at all. The
/// audit-log service receives them (`audit.event`) and stores them.
public enum AuditEvents {
    /// Adds one event to the outbox (one statement).
    public static func record(_ event: AuditEvent, on connection: PostgresConnection, logger: Logger) async throws {
        try await record([event], on: connection, logger: logger)
    }

    /// Adds the events of one transaction to the outbox as one message (none: nothing).
    public static func record(_ events: [AuditEvent], on connection: PostgresConnection, logger: Logger) async throws {
        guard let message = message(events) else { return }
        try await Outbox.add([message], on: connection, logger: logger)
    }

    /// A project as an event's target and its organisation as the scope (the slug alone for a project without an id).
    static func project(_ slug: String, on connection: PostgresConnection,
                        logger: Logger) async throws -> (AuditEvent.Entity, AuditEvent.Entity?) {
        var target = AuditEvent.Entity(id: slug, type: "project", name: slug)
        var scope: AuditEvent.Entity?
        for try await (id, orgId, orgName) in try await connection.run("""
            SELECT pr.id, o.id, o.name FROM projects pr LEFT JOIN organizations o ON o.id = pr.organization_id
            WHERE pr.slug = \(slug)
            """, logger).decode((UUID?, UUID?, String?).self) {
            if let id { target = .project(id, slug: slug) }
            scope = orgId.map { AuditEvent.Entity.organization($0, name: orgName ?? "") }
        }
        return (target, scope)
    }

    /// The outbox message carrying `events`, to add with the transaction's other messages in one statement.
    public static func message(_ events: [AuditEvent]) -> Outbox.Message? {
        events.isEmpty ? nil : Outbox.Message(AuditEventsRecorded(events: events), routingKey: Topology.RoutingKey.auditEvent)
    }

    /// One `AuditEventsRecorded` body holding the events of several (as
    /// `MessageCodec` writes them: `{"events":[...]}`), without decoding
    /// them; nil when a body has another shape.
    public static func merge(_ bodies: [String]) -> String? {
        let prefix = #"{"events":["#
        let suffix = "]}"
        var parts: [Substring] = []
        for body in bodies {
            guard body.hasPrefix(prefix), body.hasSuffix(suffix), body.count >= prefix.count + suffix.count else { return nil }
            let inner = body.dropFirst(prefix.count).dropLast(suffix.count)
            if !inner.isEmpty { parts.append(inner) }
        }
        return prefix + parts.joined(separator: ",") + suffix
    }
}

/// A change to a project's settings made through the API, to record as
/// `project.settings.update`: who made it, through which request, and what
/// changed (names, never secret values).
public struct ProjectSettingsChange: Sendable {
    public var cause: AuditCause
    public var payload: [String: AuditValue]

    public init(cause: AuditCause, payload: [String: AuditValue]) {
        self.cause = cause
        self.payload = payload
    }

    public static let action = "project.settings.update"

    /// Records the change against `slug` (target: the project; scope: its organisation).
    func record(project slug: String, on connection: PostgresConnection, logger: Logger) async throws {
        let (target, scope) = try await AuditEvents.project(slug, on: connection, logger: logger)
        try await AuditEvents.record(
            AuditEvent(action: Self.action, actor: cause.actor, target: target, scope: scope, payload: payload,
                       request: cause.request),
            on: connection, logger: logger)
    }
}
