import Foundation
import GyreLocal
import Testing

/// Orbs offline: `gyre orb pack` and `gyre orb import` put versions in
/// Postgres; pipelines resolve version ranges to the highest import; a
/// missing orb errors the pipeline naming the import command.
extension EndToEnd {
@Suite struct OrbImportTests {
    static func orb(_ version: String) -> String {
        """
        version: 2.1
        description: Greets (\(version)).
        jobs:
          hello:
            machine: true
            resource_class: gyre/host
            steps:
              - run: echo "hello from \(version)"
        """
    }

    @Test func importedVersionsResolveThroughRanges() async throws {
        let system = try fixture
        let bin = system.system.configuration.binDirectory
        let api = system.system.apiURL.absoluteString

        // 1.2.0 arrives as a source tree packed by the CLI and imported by it.
        let tree = "\(system.runDirectory)/greet-orb/src"
        try FileManager.default.createDirectory(atPath: "\(tree)/jobs", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: "\(tree)/scripts", withIntermediateDirectories: true)
        try "version: 2.1\ndescription: Greets (1.2.0).\n".write(toFile: "\(tree)/@orb.yml", atomically: true, encoding: .utf8)
        try """
            machine: true
            resource_class: gyre/host
            steps:
              - run: <<include(scripts/hello.sh)>>
            """.write(toFile: "\(tree)/jobs/hello.yml", atomically: true, encoding: .utf8)
        try "echo \"hello from 1.2.0\"\n".write(toFile: "\(tree)/scripts/hello.sh", atomically: true, encoding: .utf8)
        let packed = try SystemFixture.shell(["\(bin)/gyre", "orb", "pack", "\(system.runDirectory)/greet-orb"])
        #expect(packed.contains("echo \"hello from 1.2.0\""), "\(packed)")
        try packed.write(toFile: "\(system.runDirectory)/greet.yml", atomically: true, encoding: .utf8)
        let token = try #require(system.adminToken)
        let imported = try SystemFixture.shell(["\(bin)/gyre", "orb", "import", "\(system.runDirectory)/greet.yml",
                                                "--name", "acme/greet@1.2.0", "--api", api, "--token", token])
        #expect(imported.contains("imported acme/greet@1.2.0"), "\(imported)")

        // The others through the admin API.
        for version in ["1.0.0", "1.10.0", "2.0.0"] {
            let result = try await system.client.importOrb(name: "acme/greet", version: version, source: Self.orb(version),
                                                           adminToken: nil)
            #expect(result.outcome == "imported")
        }
        // A version never changes: the same text again is fine, other text is refused.
        let same = try await system.client.importOrb(name: "acme/greet", version: "2.0.0", source: Self.orb("2.0.0"),
                                                     adminToken: nil)
        #expect(same.outcome == "unchanged")
        await #expect(throws: APIClient.APIFailure.self) {
            _ = try await system.client.importOrb(name: "acme/greet", version: "2.0.0", source: Self.orb("other"),
                                                  adminToken: nil)
        }
        await #expect(throws: APIClient.APIFailure.self) {
            _ = try await system.client.importOrb(name: "acme/broken", version: "1.0.0", source: "jobs: [1, 2]",
                                                  adminToken: nil)
        }
        let listed = try SystemFixture.shell(["\(bin)/gyre", "orb", "list", "--api", api, "--token", token])
        #expect(listed.contains("acme/greet") && listed.contains("1.10.0") && listed.contains("circleci/path-filtering"),
                "\(listed)")

        let slug = try await system.project("orb-ranges", config: """
            version: 2.1
            orbs:
              one: acme/greet@1
              onetwo: acme/greet@1.2
              newest: acme/greet@volatile
              exact: acme/greet@1.0.0
            workflows:
              main:
                jobs: [one/hello, onetwo/hello, newest/hello, exact/hello]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id)
        #expect(outcome.status == "success", "\(outcome.pipeline.errors) \(system.logs())")
        var said: [String: String] = [:]
        for job in outcome.workflows.first?.jobs ?? [] {
            said[job.name] = try await system.client.steps(slug, job: try #require(job.job_number)).last?.output
        }
        #expect(said == ["one/hello": "hello from 1.10.0\n", "onetwo/hello": "hello from 1.2.0\n",
                         "newest/hello": "hello from 2.0.0\n", "exact/hello": "hello from 1.0.0\n"], "\(said)")

        // An orb that is not imported: the pipeline errors and says how to import it.
        let missing = try await system.project("orb-missing", config: """
            version: 2.1
            orbs:
              greet: acme/greet@3
            workflows:
              main:
                jobs: [greet/hello]
            """)
        let errored = try await system.client.wait(for: try await system.client.trigger(missing).id)
        #expect(errored.status == "errored")
        let message = errored.pipeline.errors.map(\.message).joined(separator: "\n")
        #expect(message.contains("gyre orb import FILE --name acme/greet@3.0.0"), "\(message)")
    }
}
}
