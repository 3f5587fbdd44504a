import Foundation
import GyreLocal
import GyreModel
import Testing

/// End to end: the built-in steps (caches, workspaces, artifacts, test
/// results, SSH keys, `circleci tests split`) on a real system and real Docker.
extension EndToEnd {
@Suite struct StepTests {
    /// Runs the pipeline to its end; returns the steps of each job by name.
    func run(_ slug: String, expect: String = "success") async throws -> [String: (number: Int, steps: [APIClient.Step])] {
        let system = try fixture
        let created = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: created.id, timeout: .seconds(300))
        var result: [String: (Int, [APIClient.Step])] = [:]
        for (_, jobs) in outcome.workflows {
            for job in jobs {
                guard let number = job.job_number else { continue }
                result[job.name] = (number, try await system.client.steps(slug, job: number))
            }
        }
        #expect(outcome.status == expect, "\(outcome.pipeline.errors.map(\.message)) \(result.mapValues { $0.1.map { "\($0.name) \($0.status): \($0.output)" } })")
        return result
    }

    func step(_ steps: [APIClient.Step], _ name: String) throws -> APIClient.Step {
        try #require(steps.first { $0.name == name }, "no step \(name) in \(steps.map(\.name))")
    }

    @Test func cacheSavedByOnePipelineIsRestoredByTheNextAndNotSavedAgain() async throws {
        let system = try fixture
        let deps = "left-pad==1.3.0\n"
        let slug = try await system.project("cache-round-trip", config: """
            version: 2.1
            jobs:
              build:
            \(dockerJob("""
                  - checkout
                  - restore_cache:
                      keys:
                        - v1-deps-{{ .Branch }}-{{ checksum "deps.txt" }}
                        - v1-deps-{{ .Branch }}-
                  - run:
                      name: Use the cache
                      command: |
                        if [ -f ~/.cache/deps/data.txt ]; then
                          echo "restored: $(cat ~/.cache/deps/data.txt) vendor: $(cat vendor/lib.txt)"
                        else
                          mkdir -p ~/.cache/deps vendor
                          echo "payload-$CIRCLE_BUILD_NUM" > ~/.cache/deps/data.txt
                          echo "vendored" > vendor/lib.txt
                          echo "cold"
                        fi
                  - save_cache:
                      key: v1-deps-{{ .Branch }}-{{ checksum "deps.txt" }}
                      paths:
                        - ~/.cache/deps
                        - vendor
                        - not-there
            """))
            """, files: ["deps.txt": deps])
        let key = "v1-deps-main-" + Data(SHA256.hash(Array(deps.utf8))).base64EncodedString()

        let first = try #require(try await run(slug)["build"])
        #expect(try step(first.steps, "Restoring Cache").output.contains("No cache is found for keys: \(key), v1-deps-main-"))
        #expect(try step(first.steps, "Use the cache").output.contains("cold"))
        let saved = try step(first.steps, "Saving Cache")
        #expect(saved.status == "success")
        #expect(saved.output.contains("Stored Cache to \(key)"), "\(saved.output)")
        #expect(saved.output.contains("not-there"))

        let second = try #require(try await run(slug)["build"])
        let restored = try step(second.steps, "Restoring Cache")
        #expect(restored.output.contains("Found a cache from build \(first.number) at \(key)"), "\(restored.output)")
        #expect(try step(second.steps, "Use the cache").output.contains("restored: payload-\(first.number) vendor: vendored"))
        #expect(try step(second.steps, "Saving Cache").output
                    .contains("Skipping cache generation, cache already exists for key: \(key)"))

        // The stored file is lost (storage restored from an older backup): a miss with a
        // warning, the job goes on, and save_cache stores it again.
        let file = try #require(try system.sql("SELECT file FROM caches WHERE project_slug = '\(slug)' AND key = '\(key)'").first)
        try FileManager.default.removeItem(atPath: "\(system.system.storageDirectory)/\(file)")
        let third = try #require(try await run(slug)["build"])
        let warned = try step(third.steps, "Restoring Cache")
        #expect(warned.status == "success")
        #expect(warned.output.contains("Warning: the cache \(key) could not be restored"), "\(warned.output)")
        #expect(try step(third.steps, "Use the cache").output.contains("cold"))
        #expect(try step(third.steps, "Saving Cache").output.contains("Stored Cache to \(key)"))
        let fourth = try #require(try await run(slug)["build"])
        #expect(try step(fourth.steps, "Use the cache").output.contains("restored: payload-\(third.number)"))
    }

    @Test func hostRunnerCachesPathsUnderTheJobsHome() async throws {
        let system = try fixture
        let slug = try await system.project("cache-host", config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: gyre/host
                steps:
                  - restore_cache:
                      keys:
                        - host-v1-{{ arch }}
                  - run:
                      name: Use the cache
                      command: |
                        if [ -f ~/.deps/data.txt ]; then echo "restored: $(cat ~/.deps/data.txt)"; else mkdir -p ~/.deps && echo "payload-$CIRCLE_BUILD_NUM" > ~/.deps/data.txt && echo cold; fi
                  - save_cache:
                      key: host-v1-{{ arch }}
                      paths: [~/.deps, /etc/hostname]
            """)
        let first = try #require(try await run(slug)["build"])
        #expect(try step(first.steps, "Use the cache").output.contains("cold"))
        let saved = try step(first.steps, "Saving Cache").output
        #expect(saved.contains("/etc/hostname is outside the job's home"), "\(saved)")
        #expect(saved.contains("Stored Cache to host-v1-arch1-linux-"), "\(saved)")
        let second = try #require(try await run(slug)["build"])
        #expect(try step(second.steps, "Use the cache").output.contains("restored: payload-\(first.number)"))
    }

    @Test func workspaceLayersOfUpstreamJobsAreAttachedDownstream() async throws {
        let system = try fixture
        let slug = try await system.project("workspace-flow", config: """
            version: 2.1
            jobs:
              left:
            \(dockerJob("""
                  - run: mkdir -p out/deep && echo from-left > out/left.txt && echo nested > out/deep/n.txt && echo skip > out/skip.log && echo left > out/shared.txt
                  - persist_to_workspace:
                      root: out
                      paths: ["*.txt", deep]
            """))
              right:
            \(dockerJob("""
                  - run: mkdir -p /tmp/out && echo from-right > /tmp/out/right.txt && echo first > /tmp/out/twice.txt
                  - persist_to_workspace:
                      root: /tmp/out
                      paths: [right.txt, twice.txt]
                  - run: mkdir -p /tmp/more && echo second > /tmp/more/twice.txt && echo more > /tmp/more/more.txt
                  - persist_to_workspace:
                      root: /tmp/more
                      paths: [twice.txt, more.txt]
            """))
              join:
            \(dockerJob("""
                  - attach_workspace:
                      at: /tmp/ws
                  - run:
                      name: Read the workspace
                      command: cat /tmp/ws/left.txt /tmp/ws/right.txt /tmp/ws/deep/n.txt /tmp/ws/twice.txt /tmp/ws/more.txt && test ! -e /tmp/ws/skip.log && echo no-skip
            """))
            workflows:
              main:
                jobs:
                  - left
                  - right
                  - join:
                      requires: [left, right]
            """)
        let jobs = try await run(slug)
        let join = try #require(jobs["join"])
        // One layer from left, two from right (each persist step adds one; the later one wins).
        #expect(try step(join.steps, "Attaching Workspace").output.contains("Attached 3 workspace layer(s) at /tmp/ws"))
        let read = try step(join.steps, "Read the workspace")
        #expect(read.output == "from-left\nfrom-right\nnested\nsecond\nmore\nno-skip\n")
        #expect(try step(jobs["left"]?.steps ?? [], "Persisting to Workspace").status == "success")
    }

    @Test func artifactsAndTestResultsAreVisibleThroughTheAPI() async throws {
        let system = try fixture
        let junit = """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites>
              <testsuite name="math" tests="3">
                <testcase classname="math.Add" name="adds" time="0.5" file="math_test.py"/>
                <testcase classname="math.Add" name="overflows" time="0.25" file="math_test.py">
                  <failure message="boom">trace</failure>
                </testcase>
                <testcase classname="math.Sub" name="subtracts" time="1.0" file="math_test.py"/>
              </testsuite>
            </testsuites>
            """
        let slug = try await system.project("evidence", config: """
            version: 2.1
            jobs:
              build:
            \(dockerJob("""
                  - checkout
                  - run: mkdir -p /tmp/art/sub test-results/py && echo one > /tmp/art/one.txt && echo two > /tmp/art/sub/two.txt && echo '<html/>' > report.html && cp junit.xml test-results/py/results.xml && echo ignored > test-results/py/notes.txt && echo in-job > /tmp/secret && ln -s /tmp/secret /tmp/art/link.txt
                  - store_artifacts:
                      path: /tmp/art
                      destination: reports
                  - store_artifacts:
                      path: report.html
                  - store_artifacts:
                      path: /tmp/missing
                  - store_test_results:
                      path: test-results
            """))
            """, files: ["junit.xml": junit])
        let build = try #require(try await run(slug)["build"])
        let uploads = build.steps.filter { $0.name == "Uploading artifacts" }
        #expect(uploads.count == 3)
        #expect(uploads.allSatisfy { $0.status == "success" })
        #expect(uploads.last?.output.contains("No artifact files found at /tmp/missing") == true)
        let tests = try step(build.steps, "Uploading test results")
        #expect(tests.output.contains("Found 3 test(s) in 1 file(s)"), "\(tests.output)")

        let artifacts = try await system.client.artifacts(slug, job: build.number)
        #expect(artifacts.map(\.path).sorted() == ["report.html", "reports/link.txt", "reports/one.txt", "reports/sub/two.txt"])
        // A link is resolved inside the job, never on the agent's host.
        let link = try #require(artifacts.first { $0.path == "reports/link.txt" })
        let (status, content) = await system.http.get(try #require(URL(string: link.url)))
        #expect(status == 200)
        #expect(content == "in-job\n")
        let results = try await system.client.tests(slug, job: build.number)
        #expect(results.map(\.name).sorted() == ["adds", "overflows", "subtracts"])
        #expect(results.first { $0.name == "overflows" }?.result == "failure")
    }

    @Test func afterAFailureArtifactsAreStillStoredAndNothingIsCached() async throws {
        let system = try fixture
        let slug = try await system.project("step-failures", config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: mkdir -p out && echo evidence > out/log.txt && exit 1
                  - save_cache:
                      key: never-{{ .Revision }}
                      paths: [out]
                  - store_artifacts:
                      path: out
              persist:
                machine: true
                resource_class: gyre/host
                steps:
                  - persist_to_workspace:
                      root: .
                      paths: ["nothing-*.txt"]
            workflows:
              main:
                jobs: [build, persist]
            """)
        let jobs = try await run(slug, expect: "failed")
        let build = try #require(jobs["build"])
        #expect(build.steps.map(\.type).contains("save_cache") == false)
        #expect(!build.steps.contains { $0.name == "Saving Cache" })
        let upload = try step(build.steps, "Uploading artifacts")
        #expect(upload.status == "success")
        #expect(upload.output.contains("Uploaded 1 artifact file(s)"), "\(upload.output)")
        #expect(try await system.client.artifacts(slug, job: build.number).map(\.path) == ["out/log.txt"])
        let persist = try step(try #require(jobs["persist"]).steps, "Persisting to Workspace")
        #expect(persist.status == "failed")
        #expect(persist.output.contains("The specified paths did not match any files"), "\(persist.output)")
    }

    @Test func parallelRunsSplitTestsIntoDisjointShares() async throws {
        let system = try fixture
        let names = (1...10).map { "tests/test_\($0).py" }
        var files: [String: String] = [:]
        for name in names { files[name] = "# \(name)\n" }
        let slug = try await system.project("split-tests", config: """
            version: 2.1
            jobs:
              build:
            \(dockerJob("""
                  - checkout
                  - run:
                      name: Split
                      command: |
                        circleci tests glob "tests/**/*.py" | circleci tests split --split-by=timings | sed 's/^/mine: /'
            """, parallelism: 3))
            """, files: files)
        let test = try #require(try await run(slug)["build"])
        let steps = try await system.client.nodeSteps(slug, job: test.number)
        let split = steps.filter { $0.name == "Split" }
        #expect(split.map(\.node_index).sorted() == [0, 1, 2])
        var seen: [String] = []
        for run in split {
            let mine = run.output.split(separator: "\n").filter { $0.hasPrefix("mine: ") }.map { String($0.dropFirst(6)) }
            #expect(!mine.isEmpty, "node \(run.node_index) got nothing: \(run.output)")
            seen += mine
        }
        #expect(seen.sorted() == names.sorted())
    }

    @Test func globAndSplitWorkOnTheHostRunner() async throws {
        let system = try fixture
        let slug = try await system.project("split-host", config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: gyre/host
                steps:
                  - checkout
                  - run:
                      name: Tools
                      command: |
                        command -v circleci
                        if command -v build-agent; then echo services-on-path; fi
                        echo "home=$HOME"
                  - run: circleci tests glob "spec/**/*_spec.rb" | circleci tests split --total 2 --index 1
            """, files: ["spec/a_spec.rb": "a", "spec/m/b_spec.rb": "b", "spec/c_spec.rb": "c", "spec/helper.rb": "h"])
        let test = try #require(try await run(slug)["build"])
        let tools = try step(test.steps, "Tools").output
        #expect(tools.hasPrefix("/") && tools.contains("/circleci\n"), "\(tools)")
        #expect(!tools.contains("services-on-path"), "\(tools)")
        #expect(tools.contains("home=\(system.runDirectory)/agent/"), "\(tools)")
        let split = try #require(test.steps.last)
        // Sorted: a, c, m/b; round-robin gives node 1 the second.
        #expect(split.output == "spec/c_spec.rb\n", "\(split.output)")
    }

    @Test func envSubstAndStepHaltWorkInDockerAndHostJobs() async throws {
        let system = try fixture
        let steps = """
                  - run:
                      name: Subst
                      command: echo 'deploy to ${REGION} as $WHO' | circleci env subst
                  - run:
                      name: Tests run
                      command: printf 'b\\na\\nc\\n' | circleci tests run --command="xargs echo ran" --split-by=name
                  - run:
                      name: Halt
                      command: |
                        circleci-agent step halt
                        echo still-in-the-halting-step
                  - run:
                      name: Never
                      command: echo must-not-run
            """
        let slug = try await system.project("halt", config: """
            version: 2.1
            jobs:
              docker:
            \(dockerJob(steps))
                environment:
                  REGION: eu-west-1
                  WHO: gyre
              host:
                machine: true
                resource_class: gyre/host
                environment:
                  REGION: eu-west-1
                  WHO: gyre
                steps:
            \(steps)
            workflows:
              main:
                jobs: [docker, host]
            """)
        let jobs = try await run(slug)
        for name in ["docker", "host"] {
            let job = try #require(jobs[name])
            #expect(try step(job.steps, "Subst").output == "deploy to eu-west-1 as gyre\n", "\(name)")
            #expect(try step(job.steps, "Tests run").output == "ran b a c\n", "\(name)")
            let halt = try step(job.steps, "Halt")
            #expect(halt.status == "success")
            #expect(halt.output.contains("still-in-the-halting-step"), "\(name): \(halt.output)")
            #expect(!job.steps.contains { $0.name == "Never" }, "\(name): \(job.steps.map(\.name))")
        }
    }

    @Test func splitByTimingsUsesTheTimesOfEarlierTestResults() async throws {
        let system = try fixture
        let junit = """
            <testsuite name="py" tests="4">
              <testcase classname="slow" name="t" time="100" file="tests/slow.py"/>
              <testcase classname="a" name="t" time="1" file="tests/a.py"/>
              <testcase classname="b" name="t" time="1" file="tests/b.py"/>
              <testcase classname="c" name="t" time="1" file="tests/c.py"/>
            </testsuite>
            """
        let slug = try await system.project("split-timings", config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: gyre/host
                parallelism: 2
                steps:
                  - checkout
                  - run:
                      name: Split
                      command: |
                        circleci tests glob "tests/*.py" | circleci tests split --split-by=timings | sed 's/^/mine: /'
                  - store_test_results:
                      path: junit.xml
            """, files: ["junit.xml": junit, "tests/slow.py": "", "tests/a.py": "", "tests/b.py": "", "tests/c.py": ""])
        func shares() async throws -> [(output: String, mine: [String])] {
            let build = try #require(try await run(slug)["build"])
            let steps = try await system.client.nodeSteps(slug, job: build.number).filter { $0.name == "Split" }
            #expect(steps.map(\.node_index).sorted() == [0, 1])
            return steps.map { step in
                (step.output, step.output.split(separator: "\n").filter { $0.hasPrefix("mine: ") }.map { String($0.dropFirst(6)) })
            }
        }
        // No results yet: split by name, with a warning.
        let first = try await shares()
        #expect(first.allSatisfy { $0.output.contains("splitting by name instead") }, "\(first.map(\.output))")
        #expect(first.flatMap(\.mine).sorted() == ["tests/a.py", "tests/b.py", "tests/c.py", "tests/slow.py"])
        // The slow file's 100 s outweighs the rest: it runs alone.
        let second = try await shares()
        #expect(second.flatMap(\.mine).sorted() == ["tests/a.py", "tests/b.py", "tests/c.py", "tests/slow.py"])
        #expect(second.map { $0.mine.sorted() }.sorted { $0.count < $1.count }
                    == [["tests/slow.py"], ["tests/a.py", "tests/b.py", "tests/c.py"]], "\(second.map(\.output))")
        #expect(second.allSatisfy { !$0.output.contains("splitting by name instead") })
    }

    @Test func addSSHKeysInstallsTheProjectKeyWithoutPrintingIt() async throws {
        let system = try fixture
        let directory = NSTemporaryDirectory() + "gyre-ssh-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SystemFixture.shell(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "gyre-test", "-f", "\(directory)/key"])
        let privateKey = try String(contentsOfFile: "\(directory)/key", encoding: .utf8)
        let md5 = try SystemFixture.shell(["ssh-keygen", "-l", "-E", "md5", "-f", "\(directory)/key"])
            .split(separator: " ")[1].dropFirst(4)
        let slug = try await system.project("ssh-keys", config: """
            version: 2.1
            jobs:
              build:
            \(dockerJob("""
                  - add_ssh_keys:
                      fingerprints: ["\(md5)"]
                  - run:
                      name: Inspect
                      command: ls ~/.ssh && stat -c '%a %n' ~/.ssh ~/.ssh/id_rsa_* && cat ~/.ssh/config && grep -c 'PRIVATE KEY' ~/.ssh/id_rsa_*
            """))
            """)
        let added = try await system.client.send("POST", "api/v1.1/project/\(slug)/ssh-key",
                                                  body: ["hostname": "git.example.com", "private_key": privateKey])
        #expect(added.status == 201 || added.status == 200, "\(added.body)")
        let deploy = try #require(try await run(slug)["build"])
        let install = try step(deploy.steps, "Install additional SSH keys")
        #expect(install.status == "success", "\(install.output)")
        let body = privateKey.split(separator: "\n").dropFirst().first.map(String.init) ?? privateKey
        #expect(!install.output.contains(body))
        let file = "id_rsa_" + md5.replacingOccurrences(of: ":", with: "")
        let inspect = try step(deploy.steps, "Inspect").output
        #expect(inspect.contains("700 /root/.ssh"), "\(inspect)")
        #expect(inspect.contains("600 /root/.ssh/\(file)"), "\(inspect)")
        #expect(inspect.contains("Host git.example.com\n  IdentityFile /root/.ssh/\(file)"), "\(inspect)")
        #expect(inspect.hasSuffix("2\n"), "\(inspect)")
    }
}
}
