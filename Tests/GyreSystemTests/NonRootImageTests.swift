import Foundation
import GyreLocal
import Testing

/// Stock images (cimg/*, circleci/*) run as a user of their own (uid 3434,
/// `USER circleci`): `~`, the working directory, checkout, caches and
/// workspaces must all work for that user.
extension EndToEnd {
@Suite struct NonRootImageTests {
    static let image = "gyre/test-nonroot:1"

    /// An image like cimg/base: a `circleci` user (uid 3434) as its USER, built locally from the job image.
    static func buildImage(base: String) throws {
        if (try? SystemFixture.shell(["docker", "image", "inspect", "--format", "{{.Id}}", image])) != nil { return }
        let directory = NSTemporaryDirectory() + "gyre-nonroot-\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
            FROM \(base)
            RUN useradd --create-home --uid 3434 --shell /bin/bash circleci
            USER circleci
            """.write(toFile: "\(directory)/Dockerfile", atomically: true, encoding: .utf8)
        try SystemFixture.shell(["docker", "build", "--network", "none", "--tag", image, directory])
    }

    @Test func aJobOfAnImageWithItsOwnUserWritesItsWorkingDirectoryHomeCacheAndWorkspace() async throws {
        let system = try fixture
        try Self.buildImage(base: system.jobImage)
        let slug = try await system.project(LifecycleTests.unique("nonroot"), config: """
            version: 2.1
            jobs:
              build:
                docker: [{image: \(Self.image)}]
                steps:
                  - checkout
                  - run:
                      name: Write
                      command: |
                        echo "user=$(id -un) home=$HOME pwd=$(pwd)"
                        touch written-here && cat README.md && git status --short | wc -l
                        mkdir -p ~/.cache/deps && echo cached-data > ~/.cache/deps/f
                  - save_cache:
                      key: nonroot-v1-{{ .Revision }}
                      paths: [~/.cache/deps]
                  - persist_to_workspace: {root: ., paths: [written-here]}
              use:
                docker: [{image: \(Self.image)}]
                steps:
                  - attach_workspace: {at: ws}
                  - restore_cache:
                      key: nonroot-v1-{{ .Revision }}
                  - run:
                      name: Read
                      command: ls ws/written-here && cat ~/.cache/deps/f && id -un
            workflows:
              main:
                jobs: [build, {use: {requires: [build]}}]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id, timeout: .seconds(300))
        #expect(outcome.status == "success", "\(system.logs())")
        var steps: [String: [APIClient.Step]] = [:]
        for job in outcome.workflows.first?.jobs ?? [] {
            steps[job.name] = try await system.client.steps(slug, job: try #require(job.job_number))
        }
        let write = try #require(steps["build"]?.first { $0.name == "Write" }, "\(steps)")
        #expect(write.output.hasPrefix("user=circleci home=/home/circleci pwd=/home/circleci/project\n"), "\(write.output)")
        #expect(write.output.contains("sample "), "\(write.output)")
        let setup = try #require(steps["build"]?.first)
        #expect(setup.output.contains("(3434:3434)"), "\(setup.output)")
        let read = try #require(steps["use"]?.first { $0.name == "Read" }, "\(steps)")
        #expect(read.output == "ws/written-here\ncached-data\ncircleci\n", "\(read.output)")
    }
}
}
