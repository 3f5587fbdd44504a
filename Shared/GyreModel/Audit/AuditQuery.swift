import Foundation

/// Where a page of the audit log ends: the last event's `occurred_at` (in
/// microseconds, as stored) and id. As a page token it is opaque text.
public struct AuditCursor: Sendable, Equatable {
    public var micros: Int64
    public var id: UUID

    public init(micros: Int64, id: UUID) {
        self.micros = micros
        self.id = id
    }

    public init(occurredAt: Date, id: UUID) {
        self.init(micros: Int64((occurredAt.timeIntervalSince1970 * 1_000_000).rounded()), id: id)
    }

    public var token: String {
        Data("\(micros)_\(id.uuidString.lowercased())".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    public init?(token: String) {
        var base64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard token.count <= 128, let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: "_", maxSplits: 1)
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { return nil }
        self.init(micros: micros, id: id)
    }
}

/// The filters of an audit log read (`GET /api/gyre/audit-log`), checked.
public struct AuditQuery: Sendable, Equatable {
    public var from: Date?
    public var to: Date?
    public var action: String?
    public var actor: String?
    public var target: String?
    public var limit: Int
    public var cursor: AuditCursor?

    public static let defaultLimit = 100
    public static let maxLimit = 1000

    public init(from: Date? = nil, to: Date? = nil, action: String? = nil, actor: String? = nil, target: String? = nil,
                limit: Int = AuditQuery.defaultLimit, cursor: AuditCursor? = nil) {
        self.from = from
        self.to = to
        self.action = action
        self.actor = actor
        self.target = target
        self.limit = limit
        self.cursor = cursor
    }

    public struct Invalid: Error, Sendable, Equatable {
        public var message: String
    }

    /// Reads `from`, `to` (ISO-8601 timestamps or `YYYY-MM-DD`, UTC), `action`,
    /// `actor`, `target` (ids), `limit` (1...1000) and `page-token`.
    public static func parse(_ parameters: [String: String]) throws(Invalid) -> AuditQuery {
        var query = AuditQuery()
        func date(_ name: String) throws(Invalid) -> Date? {
            guard let text = parameters[name], !text.isEmpty else { return nil }
            if let date = AuditTimestamp.parse(text) ?? AuditTimestamp.parse(text + "T00:00:00Z") { return date }
            throw Invalid(message: "\(name) must be an ISO-8601 time such as 2026-11-27T17:00:00Z or a date such as 2026-11-27")
        }
        query.from = try date("from")
        query.to = try date("to")
        if let from = query.from, let to = query.to, to < from {
            throw Invalid(message: "to must not be before from")
        }
        for name in ["action", "actor", "target"] {
            guard let value = parameters[name], !value.isEmpty else { continue }
            guard value.count <= 200, !value.contains(where: { $0.isNewline }) else {
                throw Invalid(message: "\(name) must be at most 200 characters on one line")
            }
            switch name {
            case "action": query.action = value
            case "actor": query.actor = value.lowercased()
            default: query.target = value.lowercased()
            }
        }
        if let text = parameters["limit"], !text.isEmpty {
            guard let limit = Int(text), (1...maxLimit).contains(limit) else {
                throw Invalid(message: "limit must be a whole number from 1 to \(maxLimit)")
            }
            query.limit = limit
        }
        if let token = parameters["page-token"], !token.isEmpty {
            guard let cursor = AuditCursor(token: token) else {
                throw Invalid(message: "page-token is not one this server gave out")
            }
            query.cursor = cursor
        }
        return query
    }
}
