import Foundation
import GyreModel
import GyreProtocol
import Testing
@testable import BuildAgentService

/// A setup job's continuation key travels in its assignment and reaches only
/// its environment; the socket path stays within a unix socket's limit.
@Suite struct ContinuationDeliveryTests {
    func job(key: String?) -> AgentJob {
        AgentJob(jobId: UUID(), attempt: 1, number: 7, name: "setup", projectSlug: "gh/acme/app", pipelineId: UUID(),
                 pipelineNumber: 3, workflowId: UUID(), workflowName: "setup", vcsURL: "file:///r", branch: "main",
                 tag: nil, revision: "abc", buildURL: "http://x/gh/acme/app/7",
                 plan: JobPlan(executor: .docker(images: [DockerImagePlan(image: "a")]), steps: []), continuationKey: key)
    }

    @Test func theKeySurvivesTheWireAndReachesTheEnvironment() throws {
        let original = job(key: "k-123")
        let decoded = try JSONDecoder().decode(AgentJob.self, from: JSONEncoder().encode(original))
        #expect(decoded.continuationKey == "k-123")
        let variables = BuiltinEnvironment.variables(for: decoded, workingDirectory: "/w")
        #expect(variables.contains { $0.name == "CIRCLE_CONTINUATION_KEY" && $0.value == "k-123" })
        let plain = BuiltinEnvironment.variables(for: job(key: nil), workingDirectory: "/w")
        #expect(!plain.contains { $0.name == "CIRCLE_CONTINUATION_KEY" })
    }

    @Test func socketPathsFitAUnixSocket() {
        let id = UUID()
        #expect(JobAPIProxy.socketPath(for: id, attempt: 2, workDirectory: "/var/lib/gyre/agent")
                    == "/var/lib/gyre/agent/api/\(id.uuidString.lowercased().prefix(13))-2.sock")
        let long = JobAPIProxy.socketPath(for: id, attempt: 2, workDirectory: "/" + String(repeating: "d", count: 120))
        #expect(long.hasPrefix("/tmp/gyre-api/") && long.utf8.count < 108)
    }
}
