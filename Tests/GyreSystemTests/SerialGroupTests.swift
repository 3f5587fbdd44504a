import Foundation
import GyreLocal
import Testing

/// `serial-group`: the jobs of one group run one at a time across pipelines, in pipeline order.
extension EndToEnd {
@Suite struct SerialGroupTests {
    @Test func twoPipelinesDeployOneAfterTheOtherAndTheSecondSaysWhyItWaits() async throws {
        let system = try fixture
        let group = LifecycleTests.unique("prod")
        let slug = try await system.project(LifecycleTests.unique("serial"), config: """
            version: 2.1
            jobs:
              build:
            \(hostJob("echo build"))
              deploy:
            \(hostJob("echo start; sleep 4; echo end"))
            workflows:
              main:
                jobs:
                  - build
                  - deploy:
                      requires: [build]
                      serial-group: \(group)
            """)
        let first = try await system.client.trigger(slug).id
        // The second pipeline starts once the first one's deploy runs (triggered together, a loaded
        // machine may compile the second first, and then its deploy holds the group first).
        let deploying = try await LeaseTests.eventually(.seconds(30)) {
            guard let workflow = try await system.client.workflows(pipeline: first).first else { return false }
            return try await system.client.jobs(workflow: workflow.id).first(where: { $0.name == "deploy" })?.status == "running"
        }
        #expect(deploying)
        let second = try await system.client.trigger(slug).id
        // While the first pipeline deploys, the second one's deploy waits for the group.
        var waitingMessage: String?
        let sawWait = try await LeaseTests.eventually(.seconds(30)) {
            guard let workflow = try await system.client.workflows(pipeline: second).first,
                  let deploy = try await system.client.jobs(workflow: workflow.id).first(where: { $0.name == "deploy" }),
                  let number = deploy.job_number else { return false }
            let detail = try await system.client.job(slug, number: number)
            waitingMessage = detail.waiting?.message
            return detail.status == "blocked" && detail.waiting?.reason == "serial_group"
        }
        #expect(sawWait, "\(String(describing: waitingMessage)) \(system.logs())")
        #expect(waitingMessage == "waiting for its serial group \(group): 1 job ahead")
        let outcomes = [try await system.client.wait(for: first, timeout: .seconds(60)),
                        try await system.client.wait(for: second, timeout: .seconds(60))]
        #expect(outcomes.map(\.status) == ["success", "success"])
        let deploys = try outcomes.map { outcome in try #require(outcome.workflows.first?.jobs.first { $0.name == "deploy" }) }
        let firstStop = try #require(deploys[0].stopped_at)
        let secondStart = try #require(deploys[1].started_at)
        #expect(secondStart >= firstStop, "the second deploy started at \(secondStart), before the first ended at \(firstStop)")
    }
}
}
