import Foundation
import GyreLocal
import Testing

/// Workflow markers: `type: no-op` jobs succeed as soon as their requirements
/// do, run nothing, and let the jobs after them go on.
extension EndToEnd {
@Suite struct MarkerJobTests {
    @Test func aNoOpMarkerPassesAndItsDependentsRun() async throws {
        let system = try fixture
        let slug = try await system.project("no-op", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob("echo build"))
              deploy:
            \(hostJob("echo deploy"))
              ready-to-deploy:
                type: no-op
            workflows:
              main:
                jobs:
                  - build
                  - ready-to-deploy: {requires: [build]}
                  - deploy: {requires: [ready-to-deploy]}
                  - build: {name: standalone, type: no-op}
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors) \(system.logs())")
        let workflow = try #require(outcome.workflows.first)
        let jobs = try await system.client.workflowJobs(workflow.workflow.id)
        let byName = Dictionary(uniqueKeysWithValues: jobs.map { ($0.name, $0) })
        #expect(byName.mapValues(\.status) == ["build": "success", "ready-to-deploy": "success", "deploy": "success",
                                               "standalone": "success"])
        // API v2 knows build and approval jobs: a marker is a build that ran nothing.
        #expect(byName["ready-to-deploy"]?.type == "build")
        let deploy = try #require(byName["deploy"]?.job_number)
        #expect(try await system.client.steps(slug, job: deploy).last?.output == "deploy\n")
        let gate = try #require(byName["ready-to-deploy"]?.job_number)
        #expect(try await system.client.steps(slug, job: gate).isEmpty)
    }
}
}
