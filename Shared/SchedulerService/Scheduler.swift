import Foundation
import GyreModel
import GyreProtocol
import GyreServiceKit
import GyreStore
import Logging
import ServiceLifecycle

/// Places queued jobs on build agents with free capacity (the picard-scheduler).
public enum Scheduler {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "picard-scheduler", defaultPort: 4646, environment: environment)
        let (database, gate) = app.postgres()
        let relay = app.outboxRelay(database: database, gate: gate, publisher: app.amqpPublisher())
        let store = SchedulerStore(database: database, externalURL: environment.externalURL)
        let placer = Placer(store: store, relay: relay, logger: app.logger)
        let topology = app.topology
        let consumer = app.amqpConsumer(
            queues: [topology.schedulerJobReady, topology.schedulerJobFinished, topology.schedulerAgentHeartbeat],
            prefetch: 64)
        app.add(QueueConsumerService(
            consumer: consumer,
            handlers: [
                topology.schedulerJobReady: { delivery in
                    _ = try MessageCodec.decode(JobReady.self, from: delivery.body)
                    placer.wake()
                },
                topology.schedulerJobFinished: { delivery in
                    _ = try MessageCodec.decode(JobFinished.self, from: delivery.body)
                    placer.wake()
                },
                topology.schedulerAgentHeartbeat: { delivery in
                    let heartbeat = try MessageCodec.decode(AgentHeartbeat.self, from: delivery.body)
                    let requeued = try await store.recordHeartbeat(heartbeat)
                    if requeued > 0 {
                        app.logger.warning("assignments never reached their agent; queued again",
                                           metadata: ["agent_id": "\(heartbeat.agentId)", "jobs": "\(requeued)"])
                    }
                    placer.wake()
                },
            ],
            concurrency: 4, gate: gate, logger: app.logger))
        app.add(placer)
        app.add(AgentReaper(store: store, placer: placer, gate: gate,
                            timeout: .seconds(environment.int("GYRE_AGENT_TIMEOUT_SECONDS", default: 15, range: 3...3600)),
                            noAgentTimeout: .seconds(environment.int("GYRE_NO_AGENT_TIMEOUT_SECONDS", default: 3600,
                                                                     range: 0...604_800)),
                            connected: { consumer.isConnected }, logger: app.logger))
        return app
    }
}

/// Runs placement passes, one at a time, whenever something may have changed
/// (a job became ready, capacity freed, an agent appeared). Wake-ups that
/// arrive during a pass coalesce into one more pass.
final class Placer: Service, Sendable {
    let store: SchedulerStore
    let relay: OutboxRelay
    let logger: Logger
    private let wakeups: AsyncStream<Void>
    private let waker: AsyncStream<Void>.Continuation

    init(store: SchedulerStore, relay: OutboxRelay, logger: Logger) {
        self.store = store
        self.relay = relay
        self.logger = logger
        (wakeups, waker) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    func wake() {
        waker.yield()
    }

    func run() async throws {
        for await _ in wakeups.cancelOnGracefulShutdown() {
            do {
                var placed = 0
                repeat {
                    placed = try await store.place()
                    if placed > 0 { relay.notify() }
                } while placed == 500
            } catch {
                logger.warning("placement failed; retrying", metadata: ["error": "\(StoreError.reason(error))"])
                try? await Task.sleep(for: .milliseconds(500))
                wake()
            }
        }
    }
}

/// Expires the leases of agents that stopped heartbeating (their jobs go
/// back to the queue), and runs a placement pass now and then as a safety
/// net. It expires nothing until this scheduler has consumed heartbeats for
/// a whole lease period (`LeaseWatch`): after a restart or a broker outage
/// the heartbeats sent meanwhile must be read first.
struct AgentReaper: Service {
    let store: SchedulerStore
    let placer: Placer
    let gate: StartupGate
    let timeout: Duration
    /// How long a job may wait while no agent offers its class (0: for ever).
    let noAgentTimeout: Duration
    let connected: @Sendable () -> Bool
    let logger: Logger

    func run() async throws {
        await gate.wait()
        var watch = LeaseWatch(leasePeriod: timeout)
        var pass = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            watch.observe(connected: connected(), at: .now)
            // Both judge agents by their heartbeats: only once those can be trusted.
            if watch.mayExpireLeases(at: .now) {
                do {
                    let requeued = try await store.reapSilentAgents(timeout: timeout)
                    if requeued > 0 { logger.warning("requeued jobs of silent agents", metadata: ["jobs": "\(requeued)"]) }
                    if noAgentTimeout > .zero, pass % 5 == 0,
                       try await store.failUnplaceable(timeout: noAgentTimeout, liveWithin: timeout) > 0 {
                        placer.relay.notify()
                    }
                } catch {
                    logger.warning("agent reaping failed", metadata: ["error": "\(StoreError.reason(error))"])
                }
            }
            pass += 1
            placer.wake()
            try? await Task.sleep(for: .seconds(1))
        }
    }
}
