import Foundation
import GyreModel
import Hummingbird

/// The parts of an audit event an HTTP request supplies: the `request`
/// (id, client address, `X-Client-Trace-Id`) and the actor (the caller).
public enum AuditRequest {
    /// `GYRE_TRUST_PROXY=1`: the client address is the first `X-Forwarded-For`
    /// entry (set it only behind a proxy that writes that header itself).
    public static let trustProxy = ProcessInfo.processInfo.environment["GYRE_TRUST_PROXY"] == "1"

    /// The request part of an audit event.
    public static func info(_ request: Request, context: GyreRequestContext,
                            trustProxy: Bool = AuditRequest.trustProxy) -> AuditEvent.Request {
        AuditEvent.Request(id: context.requestId,
                           ipAddress: clientAddress(forwardedFor: request.headers[.init("X-Forwarded-For")!],
                                                    peer: context.remoteAddress?.ipAddress, trustProxy: trustProxy),
                           clientTraceId: request.headers[.init("X-Client-Trace-Id")!].flatMap {
                               $0.isEmpty ? nil : String($0.prefix(256))
                           })
    }

    /// The client's address: the connection's peer, or the first `X-Forwarded-For` entry behind a trusted proxy.
    public static func clientAddress(forwardedFor: String?, peer: String?, trustProxy: Bool) -> String? {
        if trustProxy, let first = forwardedFor?.split(separator: ",").first?.trimmingCharacters(in: .whitespaces),
           !first.isEmpty, first.count <= 64 {
            return first
        }
        // An IPv4 peer on a dual-stack socket reads as ::ffff:a.b.c.d.
        if let peer, peer.hasPrefix("::ffff:"), peer.contains(".") { return String(peer.dropFirst(7)) }
        return peer
    }

    /// The caller as an audit actor: a user, or Gyre itself for the operator token.
    public static func actor(_ context: GyreRequestContext) -> AuditEvent.Entity {
        guard let caller = context.caller else { return .system }
        guard let id = caller.userId else { return AuditEvent.Entity(id: AuditEvent.Entity.system.id, type: "system", name: caller.login) }
        return .user(id, name: caller.login)
    }

    /// Who (the caller) and through which request: what a store call records with an action.
    public static func cause(_ request: Request, context: GyreRequestContext) -> AuditCause {
        AuditCause(actor: actor(context), request: info(request, context: context))
    }

    /// A complete event for an action the frontend performs (e.g. `user.create`):
    /// the caller is the actor and the request is attached. Record it with
    /// `AuditEvents.record(_:on:logger:)` inside the action's transaction.
    public static func event(_ action: String, target: AuditEvent.Entity, scope: AuditEvent.Entity? = nil,
                             payload: [String: AuditValue] = [:], success: Bool = true, actor: AuditEvent.Entity? = nil,
                             request: Request, context: GyreRequestContext) -> AuditEvent {
        AuditEvent(action: action, actor: actor ?? Self.actor(context), target: target, scope: scope, payload: payload,
                   success: success, request: info(request, context: context))
    }
}
