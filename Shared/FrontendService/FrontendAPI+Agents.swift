import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Build agents for installation admins: the list, and draining one (the
/// scheduler places no new job on it; its running jobs finish and it keeps
/// heartbeating) or undraining it. Drains are audited (`agent.drain`,
/// `agent.undrain`).
extension FrontendAPI {
    func registerAgents(on router: Router<Context>) {
        router.get("api/gyre/agents") { _, context in try await listAgents(context) }
        router.post("api/gyre/agents/:name/drain") { request, context in try await drainAgent(request, context, true) }
        router.post("api/gyre/agents/:name/undrain") { request, context in try await drainAgent(request, context, false) }
    }

    struct AgentOut: Encodable {
        var id: UUID
        var name: String
        var capabilities: [String]
        var capacity: Int
        var running: Int
        /// The agent's own word: false once it is shutting down.
        var accepting: Bool
        /// The admin's drain.
        var drained: Bool
        /// `accepting`, `drained` or `shutting_down`: whether it is given new jobs, and if not, why.
        var state: String
        var last_heartbeat_at: Date

        init(_ row: OperationsStore.AgentRow) {
            id = row.id
            name = row.name
            capabilities = row.capabilities
            capacity = row.capacity
            running = row.running
            accepting = row.accepting
            drained = row.drained
            state = row.availability.rawValue
            last_heartbeat_at = row.lastSeen
        }
    }

    /// `GET /api/gyre/agents`: every registered agent, the most recent heartbeat first.
    func listAgents(_ context: Context) async throws -> Response {
        try requireAdmin(context, because: "listing build agents")
        let rows = try await guarded { try await OperationsStore(database: store.database).agents() }
        return JSONResponse.make(["items": rows.map(AgentOut.init)])
    }

    /// `POST /api/gyre/agents/{name}/drain` and `/undrain`: every registered agent of that name.
    func drainAgent(_ request: Request, _ context: Context, _ drained: Bool) async throws -> Response {
        try requireAdmin(context, because: drained ? "draining a build agent" : "undraining a build agent")
        let name = context.parameters.get("name") ?? ""
        let cause = AuditRequest.cause(request, context: context)
        let rows = try await guarded {
            try await OperationsStore(database: store.database).setDrained(name, drained, cause: cause)
        }
        relay.notify()
        context.logger.info(drained ? "build agent drained" : "build agent undrained",
                            metadata: ["agent": "\(name)", "by": "\(context.caller?.login ?? "")"])
        return JSONResponse.make(["items": rows.map(AgentOut.init)])
    }
}
