import Foundation
import GyreLocal
import Testing

/// Secrets are sealed at rest: a database dump holds no SSH private key and no
/// webhook secret, while agents and webhook checks still get the real values.
extension EndToEnd {
@Suite struct SecretsAtRestTests {
    @Test func aDatabaseDumpContainsNoPlaintextSecret() async throws {
        let system = try fixture
        let api = system.system.apiURL
        let slug = try await system.project("sealed", config: """
            version: 2.1
            jobs:
              build:
            \(hostJob(#"sleep 2; printf 'ROTATED=%s\n' "${#ROTATION_CHECK}""#))
            """)
        _ = try await system.client.send("POST", "api/v2/project/\(slug)/envvar",
                                         body: ["name": "ROTATION_CHECK", "value": "rotation-value-31"])
        let added = try await system.client.addSSHKey(slug, hostname: "git.example.com", privateKey: V11Tests.ed25519)
        let secret = "webhook-\(UUID().uuidString)"
        let (code, _) = await system.http.send("PUT", api.appendingPathComponent("api/v2/project/\(slug)/webhook-secret"),
                                               body: try JSONSerialization.data(withJSONObject: ["secret": secret]))
        #expect(code == 200)
        // The agent's view (the storage API) still has the key, as given.
        let keys = await StorageProbe(base: system.system.url(of: "output-processor"), token: system.system.internalToken)
            .send("GET", "/internal/v1/projects/\(slug)/ssh-keys?fingerprint=\(added.fingerprint)")
        #expect(keys.status == 200 && keys.text.contains("OPENSSH PRIVATE KEY"), "\(keys.text.prefix(200))")
        // A signed webhook still verifies against the sealed secret.
        let body = Data(#"{"zen": "sealed", "repository": {"full_name": "acme/sealed"}}"#.utf8)
        let (status, answer) = await system.client.webhook(event: "ping", delivery: UUID().uuidString, body: body,
                                                           signature: try WebhookTests.sign(body, secret: secret))
        #expect(status == 200 && answer.contains("pong"), "\(answer)")
        let (forged, _) = await system.client.webhook(event: "ping", delivery: UUID().uuidString, body: body,
                                                      signature: try WebhookTests.sign(body, secret: "not-the-secret"))
        #expect(forged == 401)
        // The dump: no private key line, no webhook secret; the sealed forms are there.
        let dump = try SystemFixture.shell(["pg_dump", "--data-only", system.system.configuration.postgresURL])
        let keyLine = V11Tests.ed25519.split(separator: "\n")[1]
        #expect(!dump.contains(String(keyLine)) && !dump.contains("OPENSSH PRIVATE KEY"))
        #expect(!dump.contains(secret) && !dump.contains("rotation-value-31"))
        #expect(dump.contains("gyre:v1:"))

        // Key rotation with a job running: re-wrap the data keys under a new key-encryption key, give it to the
        // output-processor and the contexts service, restart them: the agent's view still has the key, the
        // running job ends well, and the next job still gets its variables.
        let running = try await system.client.trigger(slug)
        let gyre = "\(system.system.configuration.binDirectory)/gyre"
        let kek = system.system.kekFile
        let next = kek + ".next"
        _ = try SystemFixture.shell(["sh", "-c", "head -c 32 /dev/urandom | base64 > \(next)"])
        let rotated = try SystemFixture.shell([gyre, "admin", "rotate-kek", "--kek-file", kek, "--new-kek-file", next,
                                               "--postgres-url", system.system.configuration.postgresURL])
        #expect(rotated.contains("re-wrapped"), "\(rotated)")
        try FileManager.default.removeItem(atPath: kek)
        try FileManager.default.moveItem(atPath: next, toPath: kek)
        for service in ["output-processor", "contexts"] {
            #expect(await system.system.signal(service, SIGTERM) == .exited(0))
            try system.system.start(service)
            let (up, _) = await OperationsTests.poll(system.system.url(of: service, path: "/status"), until: { $0 == 200 },
                                                     timeout: .seconds(30))
            #expect(up == 200, "\(service)")
        }
        for pipeline in [running.id, try await system.client.trigger(slug).id] {
            let outcome = try await system.client.wait(for: pipeline)
            let job = try #require(outcome.workflows.first?.jobs.first)
            let output = try await system.client.steps(slug, job: job.job_number ?? 0).map(\.output).joined()
            #expect(job.status == "success" && output.contains("ROTATED=17"), "\(job.status) \(output)")
        }
        let again = await StorageProbe(base: system.system.url(of: "output-processor"), token: system.system.internalToken)
            .send("GET", "/internal/v1/projects/\(slug)/ssh-keys?fingerprint=\(added.fingerprint)")
        #expect(again.status == 200 && again.text.contains("OPENSSH PRIVATE KEY"), "\(again.text.prefix(200))")
    }
}
}
