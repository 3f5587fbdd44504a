import Foundation
import GyreModel
import Testing

/// Every event in every state: the transitions that apply are listed with
/// their result; everything else must be ignored and change nothing.
struct JobLifecycleTests {
    typealias L = JobLifecycle
    static let a = UUID(uuidString: "00000000-0000-0000-0000-00000000000a")!
    static let b = UUID(uuidString: "00000000-0000-0000-0000-00000000000b")!
    static let leaseA3 = L.Lease(agent: a, token: 3)

    static let states: [(String, L.State)] = [
        ("blocked", .blocked),
        ("onHold", .onHold),
        ("queued0", .queued(lastToken: 0)),
        ("queued3", .queued(lastToken: 3)),
        ("placedA3", .placed(leaseA3)),
        ("runningA3", .running(leaseA3)),
        ("success3", .finished(.success, lastToken: 3)),
        ("canceled0", .finished(.canceled, lastToken: 0)),
        ("canceled3", .finished(.canceled, lastToken: 3)),
    ]

    static let events: [(String, L.Event)] = [
        ("ready", .ready), ("hold", .hold), ("approved", .approved), ("passed", .passed), ("skipped", .skipped),
        ("blocked", .blocked), ("unblocked", .unblocked), ("cancel", .cancel),
        ("placedB", .placed(agent: b)),
        ("startedA3", .started(agent: a, token: 3)), ("startedA2", .started(agent: a, token: 2)),
        ("startedB3", .started(agent: b, token: 3)),
        ("step3", .step(token: 3)), ("step2", .step(token: 2)),
        ("finished3", .finished(token: 3, status: .failed)), ("finished2", .finished(token: 2, status: .success)),
        ("lostA", .agentLost(agent: a)), ("lostB", .agentLost(agent: b)),
        ("expiredA3", .leaseExpired(agent: a, token: 3)), ("expiredA2", .leaseExpired(agent: a, token: 2)),
        ("beatA3", .heartbeat(agent: a, token: 3)), ("beatA2", .heartbeat(agent: a, token: 2)),
        ("beatB3", .heartbeat(agent: b, token: 3)), ("beatA4", .heartbeat(agent: a, token: 4)),
        ("unplaceable", .unplaceable),
    ]

    static let superseded = L.Action.stop(agent: a, token: 3, reason: .superseded)
    static func closed(_ reason: String) -> L.Action { .closeSteps(token: 3, reason: "attempt 3 ended: \(reason); the job was queued again") }

    /// (state, event) → (state after, actions) for every event that applies.
    static let applied: [String: (L.State, [L.Action])] = [
        "blocked/ready": (.queued(lastToken: 0), []),
        "blocked/unblocked": (.queued(lastToken: 0), []),
        "blocked/hold": (.onHold, []),
        "blocked/passed": (.finished(.success, lastToken: 0), []),
        "blocked/skipped": (.finished(.notRun, lastToken: 0), []),
        "blocked/cancel": (.finished(.canceled, lastToken: 0), []),
        "onHold/approved": (.finished(.success, lastToken: 0), []),
        "onHold/skipped": (.finished(.notRun, lastToken: 0), []),
        "onHold/cancel": (.finished(.canceled, lastToken: 0), []),
        "queued0/blocked": (.blocked, []),
        "queued0/cancel": (.finished(.canceled, lastToken: 0), []),
        "queued0/placedB": (.placed(.init(agent: b, token: 1)), [.assign(agent: b, token: 1)]),
        "queued3/cancel": (.finished(.canceled, lastToken: 3), []),
        // Waited too long with no agent offering its class.
        "queued0/unplaceable": (.finished(.failed, lastToken: 0), [.announceFinished(.failed)]),
        "queued3/unplaceable": (.finished(.failed, lastToken: 3), [.announceFinished(.failed)]),
        "queued3/placedB": (.placed(.init(agent: b, token: 4)), [.assign(agent: b, token: 4)]),
        // An attempt that lost its lease must stop.
        "queued3/beatA3": (.queued(lastToken: 3), [superseded]),
        "queued3/beatA2": (.queued(lastToken: 3), [.stop(agent: a, token: 2, reason: .superseded)]),
        "queued3/beatB3": (.queued(lastToken: 3), [.stop(agent: b, token: 3, reason: .superseded)]),
        "placedA3/startedA3": (.running(leaseA3), [.recordStart]),
        "placedA3/step3": (.placed(leaseA3), []),
        "placedA3/finished3": (.finished(.failed, lastToken: 3), [.announceFinished(.failed)]),
        "placedA3/lostA": (.queued(lastToken: 3), [superseded, closed("its agent stopped heartbeating")]),
        "placedA3/expiredA3": (.queued(lastToken: 3), [superseded, closed("the assignment never reached its agent")]),
        "placedA3/beatA3": (.placed(leaseA3), []),
        "placedA3/beatA2": (.placed(leaseA3), [.stop(agent: a, token: 2, reason: .superseded)]),
        "placedA3/beatB3": (.placed(leaseA3), [.stop(agent: b, token: 3, reason: .superseded)]),
        "placedA3/cancel": (.finished(.canceled, lastToken: 3), [.stop(agent: a, token: 3, reason: .canceled)]),
        "runningA3/step3": (.running(leaseA3), []),
        "runningA3/finished3": (.finished(.failed, lastToken: 3), [.announceFinished(.failed)]),
        "runningA3/lostA": (.queued(lastToken: 3), [superseded, closed("its agent stopped heartbeating")]),
        "runningA3/expiredA3": (.queued(lastToken: 3), [superseded, closed("the assignment never reached its agent")]),
        "runningA3/beatA3": (.running(leaseA3), []),
        "runningA3/beatA2": (.running(leaseA3), [.stop(agent: a, token: 2, reason: .superseded)]),
        "runningA3/beatB3": (.running(leaseA3), [.stop(agent: b, token: 3, reason: .superseded)]),
        "runningA3/cancel": (.finished(.canceled, lastToken: 3), [.stop(agent: a, token: 3, reason: .canceled)]),
        // The last steps of the attempt that ended the job still close their rows.
        "success3/step3": (.finished(.success, lastToken: 3), []),
        "success3/beatA2": (.finished(.success, lastToken: 3), [.stop(agent: a, token: 2, reason: .superseded)]),
        // A cancel is repeated to the attempt it ended (it may have reached the agent before the assignment).
        "canceled3/beatA3": (.finished(.canceled, lastToken: 3), [.stop(agent: a, token: 3, reason: .canceled)]),
        "canceled3/beatB3": (.finished(.canceled, lastToken: 3), [.stop(agent: b, token: 3, reason: .canceled)]),
        "canceled3/beatA2": (.finished(.canceled, lastToken: 3), [.stop(agent: a, token: 2, reason: .superseded)]),
        "canceled3/step3": (.finished(.canceled, lastToken: 3), []),
    ]

    @Test(arguments: states.map(\.0))
    func everyEventInState(_ stateName: String) {
        let state = Self.states.first { $0.0 == stateName }!.1
        for (eventName, event) in Self.events {
            var lifecycle = L(state)
            let transition = lifecycle.apply(event)
            let key = "\(stateName)/\(eventName)"
            if let (after, actions) = Self.applied[key] {
                #expect(transition == .applied(actions), "\(key)")
                #expect(lifecycle.state == after, "\(key)")
            } else {
                #expect(!transition.isApplied, "\(key) should be ignored, was \(transition)")
                #expect(lifecycle.state == state, "\(key) changed the state")
            }
        }
    }

    @Test func canceledWithoutAnAttemptIgnoresAHeartbeat() {
        // A heartbeat for an attempt never placed is not this job's business.
        var lifecycle = L(.finished(.canceled, lastToken: 0))
        #expect(!lifecycle.apply(.heartbeat(agent: Self.a, token: 3)).isApplied)
    }

    @Test func aRequeuedJobHandsOutTheNextToken() {
        var lifecycle = L(.queued(lastToken: 0))
        #expect(lifecycle.apply(.placed(agent: Self.a)).actions == [.assign(agent: Self.a, token: 1)])
        lifecycle.apply(.started(agent: Self.a, token: 1))
        lifecycle.apply(.agentLost(agent: Self.a))
        #expect(lifecycle.state == .queued(lastToken: 1))
        #expect(lifecycle.apply(.placed(agent: Self.b)).actions == [.assign(agent: Self.b, token: 2)])
        // The first attempt's late report changes nothing.
        #expect(!lifecycle.apply(.finished(token: 1, status: .success)).isApplied)
        #expect(lifecycle.apply(.finished(token: 2, status: .success)).actions == [.announceFinished(.success)])
        #expect(lifecycle.status == .success)
    }

    @Test func storedRowsMapToStates() {
        #expect(L(status: .queued, attempt: 2, agent: nil).state == .queued(lastToken: 2))
        #expect(L(status: .queued, attempt: 2, agent: Self.a).state == .placed(.init(agent: Self.a, token: 2)))
        #expect(L(status: .running, attempt: 2, agent: Self.a).state == .running(.init(agent: Self.a, token: 2)))
        #expect(L(status: .failed, attempt: 2, agent: Self.a).state == .finished(.failed, lastToken: 2))
        #expect(L(status: .blocked, attempt: 0, agent: nil).status == .blocked)
        #expect(L(status: .onHold, attempt: 0, agent: nil).status == .onHold)
        for status in JobStatus.allCases where status.isFinal {
            #expect(L(status: status, attempt: 1, agent: nil).isFinished)
        }
    }
}
