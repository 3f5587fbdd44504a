import Foundation
import GyreAMQP
import GyreProtocol
import Logging
import ServiceLifecycle

/// Tells the scheduler the agent is alive and what it runs. On graceful
/// shutdown it announces that it takes no more work, then waits for running
/// jobs to finish (heartbeating meanwhile).
struct HeartbeatService: Service {
    let state: AgentState
    let publisher: AMQPPublisher
    let exchange: String
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            await beat()
            try? await Task.sleep(for: interval)
        }
        state.stopAccepting()
        await beat()
        while state.runningCount > 0 && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            await beat()
        }
    }

    func beat() async {
        let heartbeat = state.heartbeat
        do {
            try await publisher.publish([AMQPOutgoingMessage(
                exchange: exchange, routingKey: Topology.RoutingKey.agentHeartbeat, body: MessageCodec.encode(heartbeat),
                messageId: UUID().uuidString.lowercased(), type: AgentHeartbeat.type)])
        } catch {
            logger.warning("heartbeat not sent", metadata: ["error": "\(error)"])
        }
    }
}

