import Foundation
import GyreModel
import Testing

struct PlacementTests {
    static let t0 = Date(timeIntervalSince1970: 1_000_000)

    func job(_ n: Int, _ capability: String = "docker", project: String = "p", at seconds: Double? = nil) -> Placement.WaitingJob {
        .init(id: UUID(uuidString: String(format: "00000000-0000-0000-0000-%012d", n))!, capability: capability,
              project: project, queuedAt: Self.t0.addingTimeInterval(seconds ?? Double(n)))
    }

    func agent(_ n: Int, _ capabilities: Set<String> = ["docker"], free: Int) -> Placement.Agent {
        .init(id: UUID(uuidString: String(format: "00000000-0000-0000-0001-%012d", n))!, capabilities: capabilities, free: free)
    }

    @Test func oldestFirstUpToCapacity() {
        let jobs = [job(3), job(1), job(2)]
        let choices = Placement.choose(jobs: jobs, agents: [agent(1, free: 2)])
        #expect(choices.map(\.job) == [job(1).id, job(2).id])
    }

    @Test func aRequeuedJobKeepsItsPlaceInLine() {
        // Job 9 was queued first and came back after its agent died: it goes before later jobs.
        let jobs = [job(1, at: 10), job(2, at: 11), job(9, at: 1)]
        let choices = Placement.choose(jobs: jobs, agents: [agent(1, free: 1)])
        #expect(choices.map(\.job) == [job(9).id])
    }

    @Test func onlyAgentsOfferingTheCapabilityTakeAJob() {
        let jobs = [job(1, "machine:gyre/gpu"), job(2, "docker"), job(3, "machine:gyre/host")]
        let choices = Placement.choose(jobs: jobs, agents: [agent(1, ["docker", "machine:gyre/host"], free: 5)])
        #expect(Set(choices.map(\.job)) == [job(2).id, job(3).id])
        #expect(choices.allSatisfy { $0.agent == agent(1, free: 0).id })
    }

    @Test func projectsTakeTurns() {
        // Project a queued ten jobs before b queued one: b still gets the second slot.
        let jobs = (1...10).map { job($0, project: "a") } + [job(20, project: "b")]
        let choices = Placement.choose(jobs: jobs, agents: [agent(1, free: 3)])
        #expect(choices.map(\.job) == [job(1).id, job(20).id, job(2).id])
    }

    @Test func theAgentWithMostFreeSlotsGetsTheJob() {
        let choices = Placement.choose(jobs: [job(1), job(2), job(3)], agents: [agent(1, free: 1), agent(2, free: 3)])
        #expect(choices.map(\.agent) == [agent(2, free: 0).id, agent(2, free: 0).id, agent(1, free: 0).id])
    }

    @Test func nothingToPlaceWithoutAgentsOrJobs() {
        #expect(Placement.choose(jobs: [job(1)], agents: []).isEmpty)
        #expect(Placement.choose(jobs: [job(1)], agents: [agent(1, free: 0)]).isEmpty)
        #expect(Placement.choose(jobs: [], agents: [agent(1, free: 3)]).isEmpty)
    }

    @Test func drainedAndShuttingDownAgentsGetNoNewJobs() {
        var drained = agent(1, free: 5)
        drained.availability = AgentAvailability(accepting: true, drained: true)
        var leaving = agent(2, free: 5)
        leaving.availability = AgentAvailability(accepting: false, drained: false)
        #expect(Placement.choose(jobs: [job(1), job(2)], agents: [drained, leaving]).isEmpty)
        // With one accepting agent beside them, it takes everything it has room for.
        let open = agent(3, free: 1)
        #expect(Placement.choose(jobs: [job(1), job(2)], agents: [drained, leaving, open])
            == [Placement.Choice(job: job(1).id, agent: open.id)])
        // Undrained, it takes jobs again.
        drained.availability = AgentAvailability(accepting: true, drained: false)
        #expect(Placement.choose(jobs: [job(1), job(2)], agents: [drained]).count == 2)
    }

    @Test func theAgentsWordComesBeforeTheAdminsDrain() {
        #expect(AgentAvailability(accepting: true, drained: false) == .accepting)
        #expect(AgentAvailability(accepting: true, drained: true) == .drained)
        #expect(AgentAvailability(accepting: false, drained: true) == .shuttingDown)
        #expect(AgentAvailability(accepting: false, drained: false) == .shuttingDown)
        #expect(AgentAvailability.allCases.filter(\.takesNewJobs) == [.accepting])
        #expect(AgentAvailability.shuttingDown.label == "shutting down")
    }

    @Test func everyAgentSlotIsUsedAndNoJobTwice() {
        let jobs = (1...50).map { job($0, $0 % 3 == 0 ? "machine:x/y" : "docker", project: "p\($0 % 4)") }
        let agents = [agent(1, free: 7), agent(2, ["docker", "machine:x/y"], free: 9), agent(3, ["machine:x/y"], free: 4)]
        let choices = Placement.choose(jobs: jobs, agents: agents)
        #expect(choices.count == 20)
        #expect(Set(choices.map(\.job)).count == choices.count)
        for agent in agents {
            #expect(choices.filter { $0.agent == agent.id }.count <= agent.free)
            for choice in choices where choice.agent == agent.id {
                #expect(agent.capabilities.contains(jobs.first { $0.id == choice.job }!.capability))
            }
        }
    }
}

struct ParallelRunsTests {
    @Test func theJobFollowsItsRuns() {
        #expect(ParallelRuns.status(of: []) == nil)
        #expect(ParallelRuns.status(of: [.blocked, .blocked]) == .blocked)
        #expect(ParallelRuns.status(of: [.queued, .queued]) == .queued)
        #expect(ParallelRuns.status(of: [.queued, .running]) == .running)
        #expect(ParallelRuns.status(of: [.success, .queued]) == .running)
        #expect(ParallelRuns.status(of: [.success, .success]) == .success)
        #expect(ParallelRuns.status(of: [.success, .failed]) == .failed)
        #expect(ParallelRuns.status(of: [.canceled, .success]) == .canceled)
    }
}

struct WaitReasonTests {
    @Test func everyWaitIsExplained() {
        typealias F = WaitReason.Facts
        #expect(WaitReason.explain(F(status: .blocked, capability: "docker", unfinishedRequirements: ["build", "lint"]))?
            .message == "waiting for upstream jobs: build, lint")
        #expect(WaitReason.explain(F(status: .onHold, capability: "approval", approval: true)) == .approval)
        let none = WaitReason.explain(F(status: .queued, capability: "machine:gyre/gpu"))
        #expect(none == .noAgent(capability: "machine:gyre/gpu"))
        #expect(none?.message == "waiting for an agent with resource class gyre/gpu: none is registered")
        #expect(none?.code == "no_agent")
        let busy = WaitReason.explain(F(status: .queued, capability: "docker", liveAgents: 2, ahead: 3))
        #expect(busy?.message == "waiting for an agent with the Docker executor: all 2 agents busy, 3 jobs ahead")
        #expect(WaitReason.explain(F(status: .queued, capability: "docker", agentName: "builder-1"))?.message
            == "placed on agent builder-1, waiting for it to start")
        var serial = F(status: .blocked, capability: "docker", unfinishedRequirements: [])
        serial.serialGroup = ("prod-deploy", 1)
        #expect(WaitReason.explain(serial)?.message == "waiting for its serial group prod-deploy: 1 job ahead")
        #expect(WaitReason.explain(serial)?.code == "serial_group")
        var drained = F(status: .queued, capability: "machine:gyre/host")
        drained.drainedAgents = ["builder-1"]
        #expect(WaitReason.explain(drained) == .drained(capability: "machine:gyre/host", agents: ["builder-1"]))
        #expect(WaitReason.explain(drained)?.code == "drained")
        #expect(WaitReason.explain(drained)?.message
            == "waiting for an agent with resource class gyre/host: agent builder-1 is drained by an admin")
        drained.drainedAgents = ["a", "b"]
        #expect(WaitReason.explain(drained)?.message
            == "waiting for an agent with resource class gyre/host: agents a, b are drained by an admin")
        // An accepting agent beside a drained one: the job waits for that one's slots, not for the drain.
        drained.liveAgents = 1
        #expect(WaitReason.explain(drained)?.code == "agents_busy")
        #expect(WaitReason.explain(F(status: .running, capability: "docker")) == nil)
        #expect(WaitReason.explain(F(status: .success, capability: "docker")) == nil)
    }
}

struct LeaseWatchTests {
    @Test func leasesExpireOnlyAfterWatchingForALeasePeriod() {
        let start = ContinuousClock.now
        var watch = LeaseWatch(leasePeriod: .seconds(15))
        #expect(!watch.mayExpireLeases(at: start))
        watch.observe(connected: true, at: start)
        #expect(!watch.mayExpireLeases(at: start + .seconds(14)))
        watch.observe(connected: true, at: start + .seconds(14))
        #expect(watch.mayExpireLeases(at: start + .seconds(15)))
        // The broker connection broke: watch again from the reconnect.
        watch.observe(connected: false, at: start + .seconds(16))
        #expect(!watch.mayExpireLeases(at: start + .seconds(16)))
        watch.observe(connected: true, at: start + .seconds(20))
        #expect(!watch.mayExpireLeases(at: start + .seconds(34)))
        #expect(watch.mayExpireLeases(at: start + .seconds(35)))
    }
}

struct ResourceClassMapTests {
    func plan(_ executors: [ExecutorPlan]) -> PipelinePlan {
        PipelinePlan(workflows: [WorkflowPlan(name: "w", jobs: executors.enumerated().map { index, executor in
            WorkflowJobPlan(name: "j\(index)", requires: [], type: .build,
                            job: JobPlan(executor: executor, resourceClass: { if case .machine(let c) = executor { return c }; return "medium" }(),
                                         steps: []))
        })])
    }

    @Test func mappedClassesRunOnTheirRunnerClassAndKeepTheClassTheyAskedFor() throws {
        let map = try ResourceClassMap(parsing: " macos.m4pro.medium = acme/mac-mini , medium=gyre/host ")
        let mapped = map.apply(to: plan([.machine(resourceClass: "macos.m4pro.medium"), .machine(resourceClass: "large"),
                                         .machine(resourceClass: "medium"), .docker(images: [DockerImagePlan(image: "a")])]))
        let jobs = mapped.workflows[0].jobs.compactMap(\.job)
        #expect(jobs.map(\.executor) == [.machine(resourceClass: "acme/mac-mini"), .machine(resourceClass: "large"),
                                         .machine(resourceClass: "gyre/host"), .docker(images: [DockerImagePlan(image: "a")])])
        #expect(jobs[0].resourceClass == "macos.m4pro.medium")
        #expect(try ResourceClassMap(parsing: "").apply(to: plan([.machine(resourceClass: "x")])) == plan([.machine(resourceClass: "x")]))
    }

    @Test func aBadMapSaysWhatIsWrong() {
        #expect(throws: ResourceClassMapError.self) { try ResourceClassMap(parsing: "macos.m4pro.medium") }
        #expect(throws: ResourceClassMapError.self) { try ResourceClassMap(parsing: "medium=host") }
        #expect(throws: ResourceClassMapError.self) { try ResourceClassMap(parsing: "a=b/c,a=d/e") }
        #expect((try? ResourceClassMap(parsing: "a=b/c,,")) == ResourceClassMap(routes: ["a": "b/c"]))
    }
}
