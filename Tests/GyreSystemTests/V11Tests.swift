import Foundation
import GyreLocal
import Testing

/// The v1.1 calls: trigger a branch, read a build with its picard resource
/// class and steps, list recent builds; project SSH keys and the agents' internal key endpoint.
extension EndToEnd {
@Suite struct V11Tests {
    @Test func triggerOnABranchThenReadTheBuild() async throws {
        let system = try fixture
        let slug = try await system.project("v11-build", config: """
            version: 2.1
            jobs:
              compile:
                docker:
                  - image: \(system.jobImage)
                resource_class: small
                steps:
                  - run:
                      name: Say hello
                      command: echo "hello from v1.1"
              host:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: echo on-host
            workflows:
              main:
                jobs:
                  - compile
                  - host:
                      requires: [compile]
            """)
        let triggered = try await system.client.triggerV11(slug, branch: "main",
                                                           body: ["build_parameters": ["OLD": "1"]])
        #expect(triggered.status == 200)
        #expect(triggered.body == "Build created")
        #expect(triggered.note?.contains("build_parameters") == true)
        let outcome = try await system.client.wait(for: triggered.pipeline_id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors) \(system.logs())")
        let jobs = try #require(outcome.workflows.first?.jobs)
        let compile = try #require(jobs.first { $0.name == "compile" }?.job_number)
        let host = try #require(jobs.first { $0.name == "host" }?.job_number)

        let build = try await system.client.buildV11(slug, number: compile)
        #expect(build.build_num == compile)
        #expect(build.status == "success")
        #expect(build.lifecycle == "finished")
        #expect(build.outcome == "success")
        #expect(build.branch == "main")
        #expect(build.vcs_revision?.count == 40)
        #expect(build.vcs_url.hasSuffix("acme/v11-build.git"))
        #expect(build.picard.executor == "docker")
        #expect(build.picard.resource_class.class == "small")
        #expect(build.picard.resource_class.cpu == 1)
        #expect(build.picard.resource_class.ram == 2048)
        #expect(build.workflows.workflow_name == "main")
        #expect(build.workflows.job_name == "compile")
        #expect(build.parallel == 1)
        #expect(build.start_time != nil && build.stop_time != nil)
        #expect(build.build_time_millis != nil)
        let steps = try #require(build.steps)
        #expect(steps.first?.name == "Spin up environment")
        let hello = try #require(steps.first { $0.name == "Say hello" })
        #expect(hello.actions.count == 1)
        #expect(hello.actions[0].index == 0)
        #expect(hello.actions[0].status == "success")
        #expect(hello.actions[0].exit_code == 0)
        let outputURL = try #require(hello.actions[0].output_url)
        let (code, text) = await system.http.get(URL(string: system.client.base.absoluteString + outputURL)!)
        #expect(code == 200)
        #expect(text.contains("hello from v1.1"))

        let machine = try await system.client.buildV11(slug, number: host)
        #expect(machine.picard.executor == "machine")
        #expect(machine.picard.resource_class.class == "gyre/host")

        let recent = try await system.client.recentBuildsV11(slug)
        #expect(Set(recent.map(\.build_num)).isSuperset(of: [compile, host]))

        let missing = try await system.client.send("GET", "api/v1.1/project/\(slug)/99999")
        #expect(missing.status == 404)
        let badRevision = try await system.client.send("POST", "api/v1.1/project/\(slug)/tree/main",
                                                       body: ["revision": "not-a-sha"])
        #expect(badRevision.status == 400)
        let unknown = try await system.client.send("POST", "api/v1.1/project/gh/acme/not-followed/tree/main")
        #expect(unknown.status == 404)
    }

    @Test func parallelBuildHasAnActionPerNodeAndBranchesMayHoldSlashes() async throws {
        let system = try fixture
        let slug = try await system.project("v11-parallel", config: """
            version: 2.1
            jobs:
              split:
                machine: true
                resource_class: gyre/host
                parallelism: 2
                steps:
                  - run:
                      name: Node
                      command: echo "node $CIRCLE_NODE_INDEX of $CIRCLE_NODE_TOTAL"
            workflows:
              main:
                jobs: [split]
            """)
        _ = try WebhookTests.git(system, "v11-parallel", ["branch", "feature/x"])
        let triggered = try await system.client.triggerV11(slug, branch: "feature/x")
        #expect(try await system.client.pipelineTrigger(triggered.pipeline_id).vcs.branch == "feature/x")
        let outcome = try await system.client.wait(for: triggered.pipeline_id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors)")
        let number = try #require(outcome.workflows.first?.jobs.first?.job_number)
        let build = try await system.client.buildV11(slug, number: number)
        #expect(build.parallel == 2)
        #expect(build.branch == "feature/x")
        let node = try #require(build.steps?.first { $0.name == "Node" })
        #expect(node.actions.map(\.index) == [0, 1])
        #expect(node.actions.allSatisfy { $0.status == "success" && $0.exit_code == 0 })
    }

    @Test func addSSHKeysStepInstallsTheProjectKeyInTheJob() async throws {
        let system = try fixture
        let fingerprint = "ef:96:51:84:77:22:e6:d4:fb:fd:37:c6:ed:3a:4a:32"
        let slug = try await system.project("v11-ssh-step", config: """
            version: 2.1
            jobs:
              deploy:
                docker:
                  - image: \(system.jobImage)
                steps:
                  - add_ssh_keys:
                      fingerprints:
                        - "\(fingerprint)"
                  - run: |
                      test -s ~/.ssh/id_rsa_\(fingerprint.replacingOccurrences(of: ":", with: ""))
                      grep -c "Host git.example.com" ~/.ssh/config
                      echo keys-installed
            workflows:
              main:
                jobs: [deploy]
            """)
        _ = try await system.client.addSSHKey(slug, hostname: "git.example.com", privateKey: Self.ed25519)
        let created = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: created.id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors)")
        let job = try #require(outcome.workflows.first?.jobs.first?.job_number)
        let steps = try await system.client.steps(slug, job: job)
        #expect(steps.last?.output.contains("keys-installed") == true, "\(steps.map(\.output))")
        // The key itself never reaches the output.
        #expect(!steps.contains { $0.output.contains("OPENSSH PRIVATE KEY") || $0.output.contains("b3BlbnNzaC1rZXktdjEA") })
    }

    static let ed25519 = """
        -----BEGIN OPENSSH PRIVATE KEY-----
        b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
        QyNTUxOQAAACC+9kIBPbtlI26XHnLFa/z82QVYIIQAaxxGMuFfFzgNoAAAAIhlESQRZREk
        EQAAAAtzc2gtZWQyNTUxOQAAACC+9kIBPbtlI26XHnLFa/z82QVYIIQAaxxGMuFfFzgNoA
        AAAEBPrzVnJscmovkk64frRC/a7fq44Sd9NHy5H5QvPY2Bc772QgE9u2UjbpcecsVr/PzZ
        BVgghABrHEYy4V8XOA2gAAAAAAECAwQF
        -----END OPENSSH PRIVATE KEY-----

        """

    @Test func sshKeyAddedThroughV11IsServedToAgentsByFingerprint() async throws {
        let system = try fixture
        let slug = try await system.project("v11-keys", config: "version: 2.1\n")
        let added = try await system.client.addSSHKey(slug, hostname: "git.example.com", privateKey: Self.ed25519)
        // As `ssh-keygen -l -E md5` / `-E sha256` print it.
        #expect(added.fingerprint == "ef:96:51:84:77:22:e6:d4:fb:fd:37:c6:ed:3a:4a:32")
        #expect(added.fingerprint_sha256 == "SHA256:xA2V3tyYCQ0blvhUabZRjvXGlDFN6D1iBjifPjx30r4")
        #expect(added.type == "ssh-ed25519")
        #expect(added.private_key == nil)

        let listed = try await system.client.sshKeys(slug)
        #expect(listed.map(\.fingerprint) == [added.fingerprint])
        #expect(listed.allSatisfy { $0.private_key == nil })

        let agentSide = APIClient(base: system.system.url(of: "output-processor"), token: system.system.internalToken)
        let byMD5 = try await agentSide.internalSSHKeys(slug, fingerprints: [added.fingerprint])
        #expect(byMD5.count == 1)
        #expect(byMD5.first?.hostname == "git.example.com")
        #expect(byMD5.first?.private_key == Self.ed25519)
        let bySHA = try await agentSide.internalSSHKeys(slug, fingerprints: [added.fingerprint_sha256])
        #expect(bySHA.map(\.fingerprint) == [added.fingerprint])
        #expect(try await agentSide.internalSSHKeys(slug, fingerprints: ["00:11:22"]).isEmpty)
        #expect(try await agentSide.internalSSHKeys(slug, fingerprints: []).count == 1)

        #expect(try await agentSide.internalSSHKeys(slug, fingerprints: ["MD5:" + added.fingerprint.uppercased()]).count == 1)
        #expect(try await agentSide.internalSSHKeys(slug, fingerprints: [added.fingerprint.replacingOccurrences(of: ":", with: "")]).count == 1)

        let removed = try await system.client.send("DELETE", "api/v1.1/project/\(slug)/ssh-key",
                                                   body: ["fingerprint": added.fingerprint, "hostname": "git.example.com"])
        #expect(removed.status == 200, "\(removed.body)")
        #expect(try await agentSide.internalSSHKeys(slug, fingerprints: []).isEmpty)
        let again = try await system.client.send("DELETE", "api/v1.1/project/\(slug)/ssh-key",
                                                 body: ["fingerprint": added.fingerprint])
        #expect(again.status == 404)

        let bad = try await system.client.send("POST", "api/v1.1/project/\(slug)/ssh-key",
                                               body: ["hostname": "x", "private_key": "ssh-rsa AAAA not-a-private-key"])
        #expect(bad.status == 400)
        #expect(bad.body.contains("private key"), "\(bad.body)")
    }
}
}
