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
