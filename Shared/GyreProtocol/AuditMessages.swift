import Foundation
import GyreModel

/// Audit events recorded in one transaction (`audit.event`): any service →
/// audit-log, through the producer's outbox (written with the action, so an
/// action is never without its event). The audit-log service stores them
/// and acks after the commit; a redelivered message stores nothing twice
/// (the events' ids are the table's primary key).
public struct AuditEventsRecorded: GyreMessage, Equatable {
    public static let type = "audit.events"
    public static let version = 1
    public var events: [AuditEvent]

    public init(events: [AuditEvent]) { self.events = events }
}
