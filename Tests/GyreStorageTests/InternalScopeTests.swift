import Foundation
import GyreStore
import Testing
@testable import OutputProcessorService

/// What a job's token reaches on the internal storage API.
@Suite struct InternalScopeTests {
    let job = UUID()
    let parent = UUID()
    let workflow = UUID()
    let previous = UUID()
    var credential: JobCredential {
        JobCredential(job: job, parentJob: parent, project: "gh/acme/app", workflow: workflow, previousRun: previous)
    }

    func allows(_ path: String) -> Bool { InternalScope.allows(path: path, credential) }

    @Test func itsOwnProjectWorkflowAndJob() {
        #expect(allows("/internal/v1/caches/gh/acme/app"))
        #expect(allows("/internal/v1/caches/github/acme/app/blob"))
        #expect(allows("/internal/v1/projects/gh/acme/app/ssh-keys"))
        #expect(allows("/internal/v1/projects/gh/acme/app/timings"))
        #expect(allows("/internal/v1/workspaces/\(workflow.uuidString.lowercased())/layers"))
        #expect(allows("/internal/v1/jobs/\(job.uuidString.lowercased())/artifacts"))
        #expect(allows("/internal/v1/jobs/\(parent.uuidString.lowercased())/tests"))
        #expect(allows("/internal/v1/jobs/\(previous.uuidString.lowercased())/failed-tests"))
    }

    @Test func nothingOfAnotherProjectWorkflowOrJob() {
        #expect(!allows("/internal/v1/projects/gh/acme/other/ssh-keys"))
        #expect(!allows("/internal/v1/caches/gh/evil/app"))
        #expect(!allows("/internal/v1/workspaces/\(UUID().uuidString)/layers"))
        #expect(!allows("/internal/v1/jobs/\(UUID().uuidString)/artifacts"))
        #expect(!allows("/internal/v1/jobs/\(job.uuidString)/failed-tests"))   // only the previous run's
        #expect(!allows("/internal/v1/unknown/x"))
        #expect(!allows("/internal/v1"))
    }
}
