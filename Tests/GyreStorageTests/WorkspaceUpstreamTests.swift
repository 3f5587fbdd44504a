import Foundation
import GyreStore
import Testing

@Suite struct WorkspaceUpstreamTests {
    typealias Job = WorkspaceUpstream.Job

    let build = Job(id: UUID(), name: "build", requires: [])
    let lint = Job(id: UUID(), name: "lint", requires: [])
    let test = Job(id: UUID(), name: "test", requires: ["build"])
    let package = Job(id: UUID(), name: "package", requires: ["test", "lint"])
    let deploy = Job(id: UUID(), name: "deploy", requires: ["package"])
    let docs = Job(id: UUID(), name: "docs", requires: ["build"])

    var all: [Job] { [build, lint, test, package, deploy, docs] }

    @Test func directAndTransitiveRequirementsInWorkflowOrder() {
        #expect(WorkspaceUpstream.upstream(of: deploy.id, in: all) == [build.id, lint.id, test.id, package.id])
        #expect(WorkspaceUpstream.upstream(of: test.id, in: all) == [build.id])
    }

    @Test func siblingsAndDownstreamJobsAreNotUpstream() {
        #expect(WorkspaceUpstream.upstream(of: docs.id, in: all) == [build.id])
        #expect(WorkspaceUpstream.upstream(of: build.id, in: all).isEmpty)
    }

    @Test func unknownJobsAndNamesAreIgnored() {
        let stray = Job(id: UUID(), name: "stray", requires: ["missing", "build"])
        #expect(WorkspaceUpstream.upstream(of: stray.id, in: all + [stray]) == [build.id])
        #expect(WorkspaceUpstream.upstream(of: UUID(), in: all).isEmpty)
    }

    @Test func aCycleDoesNotLoop() {
        let a = Job(id: UUID(), name: "a", requires: ["b"])
        let b = Job(id: UUID(), name: "b", requires: ["a"])
        #expect(WorkspaceUpstream.upstream(of: a.id, in: [a, b]) == [b.id])
    }
}
