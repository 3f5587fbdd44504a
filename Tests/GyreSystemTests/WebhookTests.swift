import Foundation
import GyreLocal
import Testing

/// GitHub-format webhooks against the running system: signed pushes, tags and
/// pull requests start pipelines; bad signatures and redeliveries start nothing.
extension EndToEnd {
@Suite struct WebhookTests {
    static let secret = "webhook-secret-\(UUID().uuidString.prefix(8))"

    static let config = """
        version: 2.1
        jobs:
          build:
            machine: true
            resource_class: gyre/host
            steps:
              - run: echo "branch=$CIRCLE_BRANCH tag=$CIRCLE_TAG sha=$CIRCLE_SHA1"
        workflows:
          main:
            jobs:
              - build:
                  filters:
                    tags:
                      only: /.*/
        """

    /// `sha256=<hex>` computed by openssl, independently of the server's code.
    static func sign(_ body: Data, secret: String) throws -> String {
        let path = NSTemporaryDirectory() + "gyre-webhook-\(UUID().uuidString)"
        try body.write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let output = try SystemFixture.shell(["openssl", "dgst", "-sha256", "-hmac", secret, "-r", path])
        return "sha256=" + (output.split(separator: " ").first.map(String.init) ?? "")
    }

    static func json(_ object: [String: Any]) throws -> Data {
        try JSONSerialization.data(withJSONObject: object)
    }

    static func git(_ system: SystemFixture, _ repo: String, _ arguments: [String]) throws -> String {
        try SystemFixture.shell(["git", "-C", "\(system.runDirectory)/repos/acme/\(repo).git"] + arguments)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func pipelineCount(_ system: SystemFixture, _ slug: String) throws -> Int {
        let output = try SystemFixture.shell(["psql", system.system.configuration.postgresURL, "-At", "-c",
                                              "SELECT count(*) FROM pipelines WHERE project_slug = '\(slug)'"])
        return Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// A followed project with the webhook secret set.
    func project(_ name: String) async throws -> (SystemFixture, String) {
        let system = try fixture
        let slug = try await system.project(name, config: Self.config)
        try await system.client.setWebhookSecret(slug, Self.secret)
        return (system, slug)
    }

    func send(_ system: SystemFixture, event: String, payload: [String: Any], delivery: String = UUID().uuidString,
              secret: String? = WebhookTests.secret) async throws -> (status: Int, body: String) {
        let body = try Self.json(payload)
        return await system.client.webhook(event: event, delivery: delivery, body: body,
                                           signature: try secret.map { try Self.sign(body, secret: $0) })
    }

    func answer(_ text: String) throws -> APIClient.WebhookAnswer {
        try JSONDecoder().decode(APIClient.WebhookAnswer.self, from: Data(text.utf8))
    }

    @Test func signedPushStartsABranchPipelineAtItsRevision() async throws {
        let (system, slug) = try await project("hook-push")
        _ = try Self.git(system, "hook-push", ["branch", "feature-x"])
        let revision = try Self.git(system, "hook-push", ["rev-parse", "HEAD"])
        let (status, body) = try await send(system, event: "push", payload: [
            "ref": "refs/heads/feature-x", "after": revision, "repository": ["full_name": "acme/hook-push"],
        ])
        #expect(status == 201, "\(body)")
        let id = try #require(try answer(body).id)
        let pipeline = try await system.client.pipelineTrigger(id)
        #expect(pipeline.trigger.type == "webhook")
        #expect(pipeline.vcs.branch == "feature-x")
        #expect(pipeline.vcs.tag == nil)
        let outcome = try await system.client.wait(for: id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors) \(system.logs())")
        #expect(try await system.client.pipelineTrigger(id).vcs.revision == revision)
        let job = try #require(outcome.workflows.first?.jobs.first?.job_number)
        let output = try await system.client.steps(slug, job: job).last?.output ?? ""
        #expect(output.contains("branch=feature-x tag= sha=\(revision)"), "\(output)")
    }

    @Test func signedTagPushStartsATagPipeline() async throws {
        let (system, slug) = try await project("hook-tag")
        _ = try Self.git(system, "hook-tag", ["tag", "v1.0"])
        let revision = try Self.git(system, "hook-tag", ["rev-parse", "HEAD"])
        let (status, body) = try await send(system, event: "push", payload: [
            "ref": "refs/tags/v1.0", "after": revision, "repository": ["full_name": "acme/hook-tag"],
        ])
        #expect(status == 201, "\(body)")
        let id = try #require(try answer(body).id)
        let pipeline = try await system.client.pipelineTrigger(id)
        #expect(pipeline.vcs.tag == "v1.0")
        #expect(pipeline.vcs.branch == nil)
        let outcome = try await system.client.wait(for: id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors) \(system.logs())")
        let job = try #require(outcome.workflows.first?.jobs.first?.job_number)
        #expect(try await system.client.steps(slug, job: job).last?.output.contains("tag=v1.0") == true)
        // A deleted branch starts nothing.
        let before = try Self.pipelineCount(system, slug)
        let deleted = try await send(system, event: "push", payload: [
            "ref": "refs/heads/gone", "deleted": true, "after": String(repeating: "0", count: 40),
            "repository": ["full_name": "acme/hook-tag"],
        ])
        #expect(deleted.status == 200, "\(deleted.body)")
        #expect(try Self.pipelineCount(system, slug) == before)
    }

    @Test func pullRequestOpenedStartsAPipelineOnItsHeadBranch() async throws {
        let (system, slug) = try await project("hook-pr")
        _ = try Self.git(system, "hook-pr", ["branch", "fix-42"])
        let revision = try Self.git(system, "hook-pr", ["rev-parse", "HEAD"])
        func payload(_ action: String) -> [String: Any] {
            ["action": action, "pull_request": ["head": ["ref": "fix-42", "sha": revision]],
             "repository": ["full_name": "acme/hook-pr"]]
        }
        let (status, body) = try await send(system, event: "pull_request", payload: payload("opened"))
        #expect(status == 201, "\(body)")
        let id = try #require(try answer(body).id)
        #expect(try await system.client.pipelineTrigger(id).vcs.branch == "fix-42")
        let outcome = try await system.client.wait(for: id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors)")
        // Closing the pull request is acknowledged but builds nothing.
        let closed = try await send(system, event: "pull_request", payload: payload("closed"))
        #expect(closed.status == 200)
        #expect(try answer(closed.body).id == nil)
        #expect(try Self.pipelineCount(system, slug) == 1)
    }

    @Test func badOrMissingSignaturesAreRejectedAndStartNothing() async throws {
        let (system, slug) = try await project("hook-auth")
        let payload: [String: Any] = ["ref": "refs/heads/main", "after": String(repeating: "a", count: 40),
                                      "repository": ["full_name": "acme/hook-auth"]]
        let wrong = try await send(system, event: "push", payload: payload, secret: "not-the-secret")
        #expect(wrong.status == 401)
        #expect(wrong.body.contains("does not match"), "\(wrong.body)")
        let missing = try await send(system, event: "push", payload: payload, secret: nil)
        #expect(missing.status == 401)
        #expect(missing.body.contains("X-Hub-Signature-256"), "\(missing.body)")
        // A signature of a different body does not authenticate this one.
        let other = try Self.sign(Data("{}".utf8), secret: Self.secret)
        let replayed = await system.client.webhook(event: "push", delivery: UUID().uuidString,
                                                   body: try Self.json(payload), signature: other)
        #expect(replayed.status == 401)
        #expect(try Self.pipelineCount(system, slug) == 0)

        // A project without a secret rejects every webhook, saying how to set one.
        _ = try await system.project("hook-nosecret", config: Self.config)
        let unset = try await send(system, event: "push", payload: [
            "ref": "refs/heads/main", "repository": ["full_name": "acme/hook-nosecret"],
        ])
        #expect(unset.status == 401)
        #expect(unset.body.contains("no webhook secret"), "\(unset.body)")
        #expect(try Self.pipelineCount(system, "gh/acme/hook-nosecret") == 0)
        // An unknown repository is a 404.
        let unknown = try await send(system, event: "push", payload: [
            "ref": "refs/heads/main", "repository": ["full_name": "acme/never-followed"],
        ])
        #expect(unknown.status == 404, "\(unknown.body)")
        // Bodies over the API's limit are refused before anything is read from them.
        let huge = Data(("{\"ref\": \"" + String(repeating: "a", count: 2 << 20) + "\"}").utf8)
        let tooBig = await system.client.webhook(event: "push", delivery: UUID().uuidString, body: huge, signature: nil)
        #expect(tooBig.status == 413)
    }

    @Test func redeliveredWebhookStartsNothingNew() async throws {
        let (system, slug) = try await project("hook-redeliver")
        let delivery = UUID().uuidString
        let payload: [String: Any] = ["ref": "refs/heads/main", "repository": ["full_name": "acme/hook-redeliver"]]
        let first = try await send(system, event: "push", payload: payload, delivery: delivery)
        #expect(first.status == 201, "\(first.body)")
        let again = try await send(system, event: "push", payload: payload, delivery: delivery)
        #expect(again.status == 200, "\(again.body)")
        #expect(try answer(again.body).id == (try answer(first.body).id))
        #expect(try Self.pipelineCount(system, slug) == 1)
        let id = try #require(try answer(first.body).id)
        #expect(try await system.client.wait(for: id).status == "success")
    }

    @Test func pingAnswersPongAndOtherEventsAreIgnored() async throws {
        // The secret can also be given when following the project.
        let system = try fixture
        let slug = try await system.project("hook-ping", config: Self.config)
        let followed = try await system.client.send("POST", "api/v1.1/project/\(slug)/follow",
                                                    body: ["webhook_secret": Self.secret])
        #expect(followed.status == 200, "\(followed.body)")
        #expect(!followed.body.contains(Self.secret))
        let ping = try await send(system, event: "ping", payload: ["zen": "Keep it simple.", "hook_id": 1,
                                                                 "repository": ["full_name": "acme/hook-ping"]])
        #expect(ping.status == 200)
        #expect(try answer(ping.body).message == "pong")
        let issues = try await send(system, event: "issues", payload: ["action": "opened",
                                                                     "repository": ["full_name": "acme/hook-ping"]])
        #expect(issues.status == 200)
        #expect(try answer(issues.body).message.contains("ignored"))
        #expect(try Self.pipelineCount(system, slug) == 0)
    }
}
}
