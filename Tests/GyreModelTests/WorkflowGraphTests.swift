import GyreModel
import Testing

struct WorkflowGraphTests {
    func graph(_ nodes: [(String, [String], JobStatus)]) -> WorkflowGraph {
        WorkflowGraph(nodes: nodes.map { .init(name: $0.0, requires: $0.1, status: $0.2) })
    }

    @Test func jobsWithoutRequirementsAreReadyAtOnce() {
        var g = graph([("a", [], .blocked), ("b", [], .blocked), ("c", ["a", "b"], .blocked)])
        let change = g.advance()
        #expect(change.ready == ["a", "b"])
        #expect(change.skipped.isEmpty)
        #expect(g.status == .running)
    }

    @Test func aJobRunsOnlyWhenEveryRequirementSucceeded() {
        var g = graph([("a", [], .success), ("b", [], .running), ("c", ["a", "b"], .blocked)])
        #expect(g.advance().ready.isEmpty)
        g.set("b", to: .success)
        #expect(g.advance().ready == ["c"])
    }

    @Test func aFailureSkipsDependentsTransitively() {
        var g = graph([("a", [], .failed), ("b", ["a"], .blocked), ("c", ["b"], .blocked), ("d", [], .success)])
        let change = g.advance()
        #expect(change.skipped == ["b", "c"])
        #expect(g.status == .failed)
    }

    @Test func workflowStatusFollowsItsJobs() {
        #expect(graph([("a", [], .success), ("b", ["a"], .success)]).status == .success)
        #expect(graph([("a", [], .failed), ("b", [], .running)]).status == .failing)
        #expect(graph([("a", [], .queued)]).status == .running)
        #expect(graph([("a", [], .canceled), ("b", [], .success)]).status == .canceled)
        #expect(graph([("a", [], .onHold)]).status == .onHold)
        #expect(graph([("a", [], .success), ("b", ["a"], .notRun)]).status == .failed)
    }

    @Test func advancingTwiceChangesNothingMore() {
        var g = graph([("a", [], .blocked), ("b", ["a"], .blocked)])
        _ = g.advance()
        #expect(g.advance() == WorkflowGraph.Advance())
    }
}

extension WorkflowGraphTests {
    @Test func anApprovalJobIsHeldWhenItsRequirementsSucceed() {
        var g = WorkflowGraph(nodes: [
            .init(name: "build", requires: [], status: .running),
            .init(name: "hold", requires: ["build"], status: .blocked, approval: true),
            .init(name: "deploy", requires: ["hold"], status: .blocked),
        ])
        #expect(g.advance() == WorkflowGraph.Advance())
        g.set("build", to: .success)
        let change = g.advance()
        #expect(change.held == ["hold"])
        #expect(change.ready.isEmpty)
        #expect(g.status == .onHold)
        g.set("hold", to: .success)
        #expect(g.advance().ready == ["deploy"])
        #expect(g.status == .running)
    }

    @Test func anApprovalWithoutRequirementsIsHeldAtOnce() {
        var g = WorkflowGraph(nodes: [
            .init(name: "hold", requires: [], status: .blocked, approval: true),
            .init(name: "lint", requires: [], status: .blocked),
        ])
        let change = g.advance()
        #expect(change.held == ["hold"])
        #expect(change.ready == ["lint"])
        // Something still runs: the workflow is running, not on hold.
        #expect(g.status == .running)
        g.set("lint", to: .success)
        #expect(g.status == .onHold)
    }

    @Test func aFailedRequirementSkipsTheApprovalAndItsDependents() {
        var g = WorkflowGraph(nodes: [
            .init(name: "build", requires: [], status: .failed),
            .init(name: "hold", requires: ["build"], status: .blocked, approval: true),
            .init(name: "deploy", requires: ["hold"], status: .blocked),
        ])
        #expect(g.advance().skipped == ["hold", "deploy"])
        #expect(g.status == .failed)
    }

    @Test func failingWhileOthersRunFailedWhenAllStop() {
        var g = graph([("a", [], .failed), ("b", [], .running), ("c", ["b"], .blocked)])
        #expect(g.status == .failing)
        g.set("b", to: .success)
        _ = g.advance()
        #expect(g.status == .failing)
        g.set("c", to: .success)
        #expect(g.status == .failed)
        #expect(graph([("a", [], .timedout), ("b", [], .success)]).status == .failed)
        #expect(graph([("a", [], .infrastructureFail), ("b", [], .queued)]).status == .failing)
    }

    @Test func canceledWhenEverythingStoppedAndSomethingWasCanceled() {
        var g = graph([("a", [], .canceled), ("b", ["a"], .blocked), ("c", [], .running)])
        #expect(g.advance().skipped == ["b"])
        #expect(g.status == .running)
        g.set("c", to: .success)
        #expect(g.status == .canceled)
        #expect(graph([("a", [], .canceled), ("b", [], .failed)]).status == .canceled)
    }

    @Test func onHoldOnlyWhileNothingRuns() {
        #expect(graph([("a", [], .onHold), ("b", [], .running)]).status == .running)
        #expect(graph([("a", [], .onHold), ("b", [], .queued)]).status == .running)
        #expect(graph([("a", [], .onHold), ("b", [], .success)]).status == .onHold)
        #expect(graph([("a", [], .onHold), ("b", [], .failed)]).status == .failing)
    }

    @Test func dependentsAreFoundTransitively() {
        let g = graph([("a", [], .success), ("b", ["a"], .failed), ("c", ["b"], .notRun), ("d", ["a"], .success),
                       ("e", ["c", "d"], .notRun)])
        #expect(g.dependents(of: ["b"]) == ["c", "e"])
        #expect(g.dependents(of: ["a"]) == ["b", "c", "d", "e"])
        #expect(g.dependents(of: ["e"]).isEmpty)
    }

    @Test func parallelRunsCombineIntoOneStatus() {
        #expect(JobStatus.combined([.success, .running, .success]) == nil)
        #expect(JobStatus.combined([.success, .success, .success]) == .success)
        #expect(JobStatus.combined([.success, .failed, .canceled]) == .failed)
        #expect(JobStatus.combined([.success, .timedout]) == .timedout)
        #expect(JobStatus.combined([.canceled, .success]) == .canceled)
        #expect(JobStatus.combined([.infrastructureFail, .timedout]) == .infrastructureFail)
        #expect(JobStatus.combined([]) == nil)
    }

    @Test func statusesAreSpelledAsAPIv2Does() {
        #expect(JobStatus.allCases.map(\.rawValue).sorted() == [
            "blocked", "canceled", "failed", "infrastructure_fail", "not_run", "not_running", "on_hold", "queued",
            "retried", "running", "success", "terminated-unknown", "timedout", "unauthorized",
        ])
        #expect(WorkflowStatus.allCases.map(\.rawValue).sorted() == [
            "canceled", "error", "failed", "failing", "not_run", "on_hold", "running", "success", "unauthorized",
        ])
    }
}

struct ProjectSlugTests {
    @Test func acceptsShortAndLongVCSNames() {
        #expect(ProjectSlug("gh/acme/app")?.description == "gh/acme/app")
        #expect(ProjectSlug("github/acme/app")?.description == "gh/acme/app")
        #expect(ProjectSlug("bitbucket/acme/app.js")?.description == "bb/acme/app.js")
    }

    @Test func rejectsOtherShapes() {
        #expect(ProjectSlug("svn/acme/app") == nil)
        #expect(ProjectSlug("gh/acme") == nil)
        #expect(ProjectSlug("gh/acme/app/extra") == nil)
        #expect(ProjectSlug("gh/../app") == nil)
        #expect(ProjectSlug("gh/acme/a b") == nil)
    }
}

/// `requires` entries naming statuses: `- build: failed`, `- build: [success, canceled]`.
extension WorkflowGraphTests {
    func statusGraph(build: JobStatus, accepts: [JobStatus]) -> WorkflowGraph {
        WorkflowGraph(nodes: [
            .init(name: "build", requires: [], status: build),
            .init(name: "after", requires: ["build"], status: .blocked, requiredStatuses: ["build": accepts]),
            .init(name: "next", requires: ["after"], status: .blocked),
        ])
    }

    @Test func aJobRequiringFailedRunsOnlyAfterItsRequirementFailed() {
        var failed = statusGraph(build: .failed, accepts: [.failed])
        #expect(failed.advance().ready == ["after"])
        failed.set("after", to: .success)
        #expect(failed.advance().ready == ["next"])

        var succeeded = statusGraph(build: .success, accepts: [.failed])
        let change = succeeded.advance()
        #expect(change.ready.isEmpty)
        #expect(change.skipped == ["after", "next"])
    }

    @Test func aJobWaitsUntilItsRequirementIsFinalWhateverItAccepts() {
        var g = statusGraph(build: .running, accepts: [.failed, .canceled])
        #expect(g.advance() == WorkflowGraph.Advance())
        g.set("build", to: .canceled)
        #expect(g.advance().ready == ["after"])
    }

    @Test func aListOfStatusesAcceptsAnyOfThem() {
        var canceled = statusGraph(build: .canceled, accepts: [.success, .canceled])
        #expect(canceled.advance().ready == ["after"])
        var succeeded = statusGraph(build: .success, accepts: [.success, .canceled])
        #expect(succeeded.advance().ready == ["after"])
        var failed = statusGraph(build: .failed, accepts: [.success, .canceled])
        #expect(failed.advance().skipped == ["after", "next"])
        // Timed out is not failed: a job requiring `failed` does not run.
        var timedOut = statusGraph(build: .timedout, accepts: [.failed])
        #expect(timedOut.advance().skipped == ["after", "next"])
    }

    @Test func statusesApplyPerRequirement() {
        var g = WorkflowGraph(nodes: [
            .init(name: "a", requires: [], status: .failed),
            .init(name: "b", requires: [], status: .success),
            .init(name: "c", requires: ["a", "b"], status: .blocked, requiredStatuses: ["a": [.failed]]),
            .init(name: "d", requires: ["a", "b"], status: .blocked, requiredStatuses: ["b": [.failed]]),
        ])
        let change = g.advance()
        #expect(change.ready == ["c"])
        #expect(change.skipped == ["d"])
    }

    @Test func anApprovalRequiringFailedIsHeldAfterAFailure() {
        var g = WorkflowGraph(nodes: [
            .init(name: "build", requires: [], status: .failed),
            .init(name: "hold", requires: ["build"], status: .blocked, approval: true, requiredStatuses: ["build": [.failed]]),
        ])
        #expect(g.advance().held == ["hold"])
    }
}

struct NoOpGraphTests {
    @Test func aNoOpJobSucceedsOnceItsRequirementsDoAndItsDependentsGoOn() {
        var graph = WorkflowGraph(nodes: [
            .init(name: "build", requires: [], status: .blocked),
            .init(name: "gate", requires: ["build"], status: .blocked, noOp: true),
            .init(name: "deploy", requires: ["gate"], status: .blocked),
        ])
        #expect(graph.advance() == .init(ready: ["build"]))
        graph.set("build", to: .success)
        #expect(graph.advance() == .init(ready: ["deploy"], passed: ["gate"]))
        #expect(graph.nodes[1].status == .success)
    }
}
