import Foundation
import GyreModel
import Testing

/// A property test: one job, three agents, a scheduler and an
/// output-processor that see events in random orders, with messages that
/// arrive late, agents that are declared lost while they still run, and
/// cancels. Whatever happens, an agent never runs two attempts of the job at
/// once, the job finishes at most once and only from the lease holder's
/// report, and once every message is delivered and every agent has
/// heartbeated, no attempt but the current lease's runs anywhere.
struct JobLifecycleSimulationTests {
    /// SplitMix64: reproducible from the seed printed on failure.
    struct RNG: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    enum ToAgent: Equatable {
        case assign(Int)
        case stop(Int)
    }

    /// An agent as `AgentState` behaves: a newer assignment stops older attempts first; a stale one is dropped.
    struct Agent {
        var id: UUID
        var running: Set<Int> = []
        var started: Set<Int> = []
        var seen: Set<Int> = []
        var inbox: [ToAgent] = []
    }

    struct World {
        var lifecycle = JobLifecycle(.queued(lastToken: 0))
        var agents: [Agent] = (0..<3).map { _ in Agent(id: UUID()) }
        /// Reports on their way to the output-processor (any order).
        var reports: [JobLifecycle.Event] = []
        var finishes = 0
        var maxTokenHandedOut = 0
        var violations: [String] = []

        mutating func scheduler(_ event: JobLifecycle.Event) {
            let transition = lifecycle.apply(event)
            for action in transition.actions { send(action) }
        }

        mutating func send(_ action: JobLifecycle.Action) {
            switch action {
            case .assign(let agent, let token):
                if token <= maxTokenHandedOut { violations.append("token \(token) handed out twice") }
                maxTokenHandedOut = token
                if let index = agents.firstIndex(where: { $0.id == agent }) { agents[index].inbox.append(.assign(token)) }
            case .stop(let agent, let token, _):
                if let index = agents.firstIndex(where: { $0.id == agent }) { agents[index].inbox.append(.stop(token)) }
            case .announceFinished:
                finishes += 1
            case .closeSteps, .recordStart:
                break
            }
        }

        mutating func deliver(to index: Int, message position: Int) {
            let message = agents[index].inbox.remove(at: position)
            switch message {
            case .assign(let token):
                guard !agents[index].seen.contains(token) else { return }
                agents[index].seen.insert(token)
                if agents[index].seen.contains(where: { $0 > token }) { return }  // stale
                for old in agents[index].running where old < token { stop(index, old) }
                agents[index].running.insert(token)
            case .stop(let token):
                if agents[index].running.contains(token) { stop(index, token) }
            }
            if agents[index].running.count > 1 { violations.append("agent \(index) runs \(agents[index].running)") }
        }

        mutating func stop(_ index: Int, _ token: Int) {
            agents[index].running.remove(token)
            reports.append(.finished(token: token, status: .canceled))
        }

        mutating func processReport(_ position: Int) {
            let event = reports.remove(at: position)
            let before = lifecycle.lease
            let transition = lifecycle.apply(event)
            if case .finished(let token, _) = event, transition.isApplied, before?.token != token {
                violations.append("a finish from attempt \(token) was accepted while \(String(describing: before)) held the job")
            }
            for action in transition.actions { send(action) }
        }
    }

    @Test func randomEventOrdersNeverRunTwoAttempts() {
        for seed in UInt64(1)...1500 {
            var rng = RNG(state: seed)
            var world = World()
            for _ in 0..<Int.random(in: 10...60, using: &rng) {
                let agentIndex = Int.random(in: 0..<3, using: &rng)
                let agent = world.agents[agentIndex]
                switch Int.random(in: 0..<10, using: &rng) {
                case 0: world.scheduler(.placed(agent: agent.id))
                case 1:
                    if !agent.inbox.isEmpty {
                        world.deliver(to: agentIndex, message: Int.random(in: 0..<agent.inbox.count, using: &rng))
                    }
                case 2:
                    if let token = agent.running.filter({ !agent.started.contains($0) }).first {
                        world.agents[agentIndex].started.insert(token)
                        world.reports.append(.started(agent: agent.id, token: token))
                        world.reports.append(.step(token: token))
                    }
                case 3:
                    if let token = agent.running.first {
                        world.agents[agentIndex].running.remove(token)
                        world.reports.append(.finished(token: token, status: .success))
                    }
                case 4: world.scheduler(.agentLost(agent: agent.id))
                case 5:
                    if let lease = world.lifecycle.lease, !world.agents.contains(where: { $0.running.contains(lease.token) }) {
                        world.scheduler(.leaseExpired(agent: lease.agent, token: lease.token))
                    }
                case 6: for token in agent.running { world.scheduler(.heartbeat(agent: agent.id, token: token)) }
                case 7: if Int.random(in: 0..<4, using: &rng) == 0 { world.scheduler(.cancel) }
                default:
                    if !world.reports.isEmpty {
                        world.processReport(Int.random(in: 0..<world.reports.count, using: &rng))
                    }
                }
            }
            // Quiesce: deliver everything, every agent heartbeats, deliver the stop orders.
            for round in 0..<3 {
                for index in world.agents.indices {
                    while !world.agents[index].inbox.isEmpty { world.deliver(to: index, message: 0) }
                }
                guard round < 2 else { break }
                for agent in world.agents {
                    for token in agent.running { world.scheduler(.heartbeat(agent: agent.id, token: token)) }
                }
            }
            while !world.reports.isEmpty { world.processReport(0) }
            let running = world.agents.flatMap { agent in agent.running.map { (agent.id, $0) } }
            let lease = world.lifecycle.lease
            #expect(running.allSatisfy { lease == JobLifecycle.Lease(agent: $0.0, token: $0.1) },
                    "seed \(seed): \(running) run, lease \(String(describing: lease))")
            #expect(world.finishes <= 1, "seed \(seed): finished \(world.finishes) times")
            #expect(world.violations.isEmpty, "seed \(seed): \(world.violations)")
            if world.violations.count > 0 || world.finishes > 1 { break }
        }
    }
}
