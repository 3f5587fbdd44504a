import Foundation

/// One audit log event, in the shape CircleCI Server documents for its audit
/// log (`id`, `action`, `actor`, `target`, `scope`, `payload`, `metadata`,
/// `occurred_at`, `version`, `success`, `request`; snake_case keys). Events
/// are written to a service's outbox in the transaction of the action they
/// record and stored by the audit-log service; `id` lets a reader drop the
/// rare duplicate delivery.
public struct AuditEvent: Codable, Sendable, Equatable {
    /// Unique per event.
    public var id: UUID
    /// Lowercase words separated by dots, the entity first and the action last (`workflow.job.finish`).
    public var action: String
    /// Who did it: a user, or Gyre itself (`AuditEvent.Entity.system`).
    public var actor: Entity
    /// What was acted upon (a project, a user, ...).
    public var target: Entity
    /// The account (organisation) that owns the target, if any.
    public var scope: Entity?
    /// Action-specific facts; the same keys for every event of one action and version.
    public var payload: [String: AuditValue]
    /// Free-form string pairs.
    public var metadata: [String: String]
    /// When it happened (UTC; written with microseconds, read with up to nine fractional digits).
    public var occurredAt: Date
    /// The schema version; always 1.
    public var version: Int
    public var success: Bool
    /// The HTTP request that caused it; nil for events no request caused (jobs, schedules).
    public var request: Request?

    public static let currentVersion = 1

    public init(id: UUID = UUID(), action: String, actor: Entity, target: Entity, scope: Entity? = nil,
                payload: [String: AuditValue] = [:], metadata: [String: String] = [:], occurredAt: Date = Date(),
                success: Bool = true, request: Request? = nil) {
        self.id = id
        self.action = action
        self.actor = actor
        self.target = target
        self.scope = scope
        self.payload = payload
        self.metadata = metadata
        self.occurredAt = occurredAt
        self.version = Self.currentVersion
        self.success = success
        self.request = request
    }

    /// An actor, target or scope: always `id` and `type`, usually `name`.
    public struct Entity: Codable, Sendable, Hashable {
        public var id: String
        public var type: String
        public var name: String?

        public init(id: String, type: String, name: String? = nil) {
            self.id = id
            self.type = type
            self.name = name
        }

        public init(id: UUID, type: String, name: String? = nil) {
            self.init(id: id.uuidString.lowercased(), type: type, name: name)
        }

        /// Gyre itself (webhooks, schedules, the operator token): the same id the API shows.
        public static let system = Entity(id: "00000000-0000-4000-8000-000000000001", type: "system", name: "system")

        public static func user(_ id: UUID, name: String?) -> Entity { Entity(id: id, type: "user", name: name) }
        public static func project(_ id: UUID, slug: String) -> Entity { Entity(id: id, type: "project", name: slug) }
        public static func organization(_ id: UUID, name: String) -> Entity {
            Entity(id: id, type: "organization", name: name)
        }

        private enum CodingKeys: String, CodingKey { case id, type, name }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(type, forKey: .type)
            try container.encodeIfPresent(name, forKey: .name)
        }
    }

    /// The external request behind an event.
    public struct Request: Codable, Sendable, Equatable {
        /// The request id Gyre gave the request (`X-Request-Id`).
        public var id: String
        /// The client's address (IPv4 dotted or IPv6).
        public var ipAddress: String?
        /// The client's `X-Client-Trace-Id` header, if it sent one.
        public var clientTraceId: String?

        public init(id: String, ipAddress: String?, clientTraceId: String?) {
            self.id = id
            self.ipAddress = ipAddress
            self.clientTraceId = clientTraceId
        }

        private enum CodingKeys: String, CodingKey {
            case id
            case ipAddress = "ip_address"
            case clientTraceId = "client_trace_id"
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(ipAddress, forKey: .ipAddress)
            try container.encode(clientTraceId, forKey: .clientTraceId)
        }
    }

    private enum CodingKeys: String, CodingKey {
        case id, version, action, success, payload, target, scope, request, actor, metadata
        case occurredAt = "occurred_at"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(UUID.self, forKey: .id)
        action = try c.decode(String.self, forKey: .action)
        actor = try c.decode(Entity.self, forKey: .actor)
        target = try c.decode(Entity.self, forKey: .target)
        scope = try c.decodeIfPresent(Entity.self, forKey: .scope)
        payload = try c.decodeIfPresent([String: AuditValue].self, forKey: .payload) ?? [:]
        metadata = try c.decodeIfPresent([String: String].self, forKey: .metadata) ?? [:]
        let text = try c.decode(String.self, forKey: .occurredAt)
        guard let date = AuditTimestamp.parse(text) else {
            throw DecodingError.dataCorruptedError(forKey: .occurredAt, in: c,
                                                   debugDescription: "occurred_at must be ISO-8601 UTC, e.g. 2017-12-21T13:50:54.474Z")
        }
        occurredAt = date
        version = try c.decode(Int.self, forKey: .version)
        success = try c.decode(Bool.self, forKey: .success)
        request = try c.decodeIfPresent(Request.self, forKey: .request)
    }

    /// Every field is written, `scope` and `request` as null when absent.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id.uuidString.lowercased(), forKey: .id)
        try c.encode(version, forKey: .version)
        try c.encode(action, forKey: .action)
        try c.encode(success, forKey: .success)
        try c.encode(payload, forKey: .payload)
        try c.encode(target, forKey: .target)
        try c.encode(scope, forKey: .scope)
        try c.encode(request, forKey: .request)
        try c.encode(actor, forKey: .actor)
        try c.encode(metadata, forKey: .metadata)
        try c.encode(AuditTimestamp.format(occurredAt), forKey: .occurredAt)
    }

    /// The field names, in the order the CSV export writes them.
    public static let fieldNames = ["id", "action", "actor", "target", "scope", "payload", "metadata", "occurred_at",
                                    "version", "success", "request"]
}

/// Who caused an action and through which request: what a service passes to
/// the store call that records the action's audit event.
public struct AuditCause: Sendable, Equatable {
    public var actor: AuditEvent.Entity
    public var request: AuditEvent.Request?

    public init(actor: AuditEvent.Entity, request: AuditEvent.Request?) {
        self.actor = actor
        self.request = request
    }

    /// Gyre itself, no request.
    public static let system = AuditCause(actor: .system, request: nil)
}
