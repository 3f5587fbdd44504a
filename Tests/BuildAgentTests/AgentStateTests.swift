import Foundation
import GyreProtocol
import Testing
@testable import BuildAgentService

/// The agent's side of fencing: two attempts of one job never run side by side.
@Suite struct AgentStateTests {
    let job = UUID()

    func state() -> AgentState {
        AgentState(agentId: UUID(), name: "t", capabilities: ["docker"], capacity: 4)
    }

    @Test func aNewerAttemptSupersedesTheOldOne() {
        let state = state()
        #expect(state.begin(JobAttempt(jobId: job, attempt: 1)) == .start)
        #expect(state.begin(JobAttempt(jobId: job, attempt: 1)) == .duplicate)
        #expect(state.begin(JobAttempt(jobId: job, attempt: 2)) == .supersedes([JobAttempt(jobId: job, attempt: 1)]))
        // An older attempt arriving late is stale.
        state.finish(JobAttempt(jobId: job, attempt: 1))
        #expect(state.begin(JobAttempt(jobId: job, attempt: 1)) == .duplicate)
        #expect(state.begin(JobAttempt(jobId: UUID(), attempt: 1)) == .start)
    }

    @Test func aStaleAssignmentIsDropped() {
        let state = state()
        #expect(state.begin(JobAttempt(jobId: job, attempt: 3)) == .start)
        #expect(state.begin(JobAttempt(jobId: job, attempt: 2)) == .stale)
        #expect(!state.isRunning(JobAttempt(jobId: job, attempt: 2)))
    }

    @Test func heartbeatsSeparateRunningFromRecentlyEnded() {
        let state = state()
        let first = JobAttempt(jobId: job, attempt: 1)
        let other = JobAttempt(jobId: UUID(), attempt: 1)
        _ = state.begin(first)
        _ = state.begin(other)
        state.finish(first)
        let beat = state.heartbeat
        #expect(beat.running == [other])
        #expect(beat.recent == [first])
    }
}
