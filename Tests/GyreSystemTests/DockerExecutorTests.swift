import Foundation
import GyreLocal
import Testing

/// The Docker executor end to end: service containers, resource classes,
/// missing images, step environment, `no_output_timeout`, cleanup.
extension EndToEnd {
@Suite struct DockerExecutorTests {
    /// A project name no other test run on this dockerd uses (containers carry it as a label).
    static func unique(_ name: String) -> String {
        "\(name)-\(UUID().uuidString.lowercased().prefix(8))"
    }

    static func containers(project slug: String) throws -> [String] {
        try SystemFixture.shell(["docker", "ps", "--all", "--filter", "label=gyre.project=\(slug)", "--format", "{{.Names}}"])
            .split(separator: "\n").map(String.init)
    }

    func run(_ name: String, job: String) async throws -> (slug: String, outcome: APIClient.Outcome, steps: [APIClient.Step]) {
        let system = try fixture
        let slug = try await system.project(name, config: """
            version: 2.1
            jobs:
              build:
            \(job)
            workflows:
              main:
                jobs: [build]
            """)
        let outcome = try await system.client.wait(for: try await system.client.trigger(slug).id, timeout: .seconds(300))
        let number = try #require(outcome.workflows.first?.jobs.first?.job_number,
                                  "\(outcome.pipeline.errors.map(\.message)) \(system.logs())")
        return (slug, outcome, try await system.client.steps(slug, job: number))
    }

    @Test func serviceContainersAreReachableOnLocalhostAndByTheirName() async throws {
        let image = try fixture.jobImage
        let server = #"my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 7777, Listen => 5, ReuseAddr => 1) or die "listen: $!"; while (my $c = $s->accept) { print $c "hello from $ENV{GREETING} as " . getpwuid($<) . "\n"; close $c }"#
        let (slug, outcome, steps) = try await run(Self.unique("services"), job: """
                docker:
                  - image: \(image)
                  - image: \(image)
                    name: echo-server
                    entrypoint: ["perl", "-MIO::Socket::INET", "-e"]
                    command: ['\(server)']
                    user: nobody
                    environment:
                      GREETING: service-env
                steps:
                  - run:
                      name: By name
                      command: |
                        until out=$(cat </dev/tcp/echo-server/7777); do sleep 0.2; done 2>/dev/null
                        echo "by-name=$out"
                  - run:
                      name: On localhost
                      command: echo "on-localhost=$(cat </dev/tcp/127.0.0.1/7777)"
            """)
        #expect(outcome.status == "success", "\(steps.map { "\($0.name): \($0.output)" })")
        #expect(steps.map(\.name) == ["Spin up environment", "By name", "On localhost"])
        #expect(steps[0].output.contains("Starting service container \(image) as echo-server"))
        #expect(steps.count == 3 && steps[1].output.contains("by-name=hello from service-env as nobody"))
        #expect(steps.count == 3 && steps[2].output.contains("on-localhost=hello from service-env as nobody"))
        // Every container of the job is gone once it finished.
        #expect(try Self.containers(project: slug).isEmpty)
    }

    @Test func aServiceThatExitsRightAwayIsReportedAndDoesNotHangTheJob() async throws {
        let image = try fixture.jobImage
        let (_, outcome, steps) = try await run(Self.unique("service-exits"), job: """
                docker:
                  - image: \(image)
                  - image: \(image)
                    name: quitter
                    entrypoint: ["sh", "-c"]
                    command: ["echo quitting early; exit 3"]
                steps:
                  - run: sleep 2 && echo primary-still-works
            """)
        #expect(outcome.status == "success", "\(steps.map { "\($0.name): \($0.output)" })")
        #expect(steps.last?.output.contains("primary-still-works") == true)
    }

    @Test func aServiceThatCannotStartFailsTheSetupSayingWhy() async throws {
        let image = try fixture.jobImage
        let (slug, outcome, steps) = try await run(Self.unique("service-broken"), job: """
                docker:
                  - image: \(image)
                  - image: \(image)
                    entrypoint: ["/no/such/program"]
                steps:
                  - run: echo unreachable
            """)
        #expect(outcome.status == "failed")
        #expect(steps.count == 1)
        #expect(steps.first?.output.contains("service container \(image) did not start") == true,
                "\(steps.first?.output ?? "")")
        #expect(try Self.containers(project: slug).isEmpty)
    }

    @Test func resourceClassLimitsThePrimaryContainerClampedToTheHost() async throws {
        let hostCPUs = Int(try SystemFixture.shell(["docker", "info", "--format", "{{.NCPU}}"])
            .trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        let expectedCPUs = min(4, hostCPUs)
        let (_, outcome, steps) = try await run(Self.unique("limits"), job: """
                docker:
                  - image: \(try fixture.jobImage)
                resource_class: large
                steps:
                  - run:
                      name: Limits
                      command: |
                        if [ -f /sys/fs/cgroup/cpu.max ]; then
                          echo "cpu=$(cut -d' ' -f1 /sys/fs/cgroup/cpu.max) memory=$(cat /sys/fs/cgroup/memory.max)"
                        else
                          echo "cpu=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) memory=$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
                        fi
            """)
        #expect(outcome.status == "success", "\(steps.map { "\($0.name): \($0.output)" })")
        #expect(steps.first?.output.contains("Resource class large: \(expectedCPUs) CPUs, 8 GB memory") == true,
                "\(steps.first?.output ?? "")")
        if hostCPUs < 4 {
            #expect(steps.first?.output.contains("this builder has only \(hostCPUs)") == true)
        }
        #expect(steps.last?.output.contains("cpu=\(expectedCPUs * 100_000) memory=\(8 << 30)") == true,
                "\(steps.last?.output ?? "")")
    }

    @Test func aMissingServiceImageFailsTheSetupNamingIt() async throws {
        let (_, outcome, steps) = try await run(Self.unique("no-service-image"), job: """
                docker:
                  - image: \(try fixture.jobImage)
                  - image: gyre/no-such-service:9.9
                steps:
                  - run: echo unreachable
            """)
        #expect(outcome.status == "failed")
        #expect(steps.count == 1)
        #expect(steps.first?.output.contains(
            "image gyre/no-such-service:9.9 is not available on this builder (images are never pulled; load it with docker load/import)") == true,
                "\(steps.first?.output ?? "")")
    }

    @Test func stepEnvironmentReachesTheStepButNotTheBuildersCommandLines() async throws {
        let system = try fixture
        let marker = "marker-\(UUID().uuidString.lowercased().prefix(8))"
        let secret = "topsecret-\(UUID().uuidString.lowercased().prefix(8))"
        let slug = try await system.project(Self.unique("env"), config: """
            version: 2.1
            jobs:
              build:
                docker:
                  - image: \(system.jobImage)
                    environment:
                      PRIMARY_SECRET: primary-\(secret)
                environment:
                  JOB_SECRET: job-\(secret)
                  DOCKER_SECRET: docker-\(secret)
                steps:
                  - run:
                      name: Uses secrets
                      command: echo \(marker); sleep 4; echo "got $JOB_SECRET $STEP_SECRET $PRIMARY_SECRET $DOCKER_SECRET"
                      environment:
                        STEP_SECRET: |
                          step-\(secret)
                          with a second line
            workflows:
              main:
                jobs: [build]
            """)
        let created = try await system.client.trigger(slug)
        // Watch the builder's processes while the step runs.
        var sawStep = false
        var leaked: [String] = []
        let deadline = ContinuousClock.now + .seconds(120)
        while ContinuousClock.now < deadline {
            let lines = try SystemFixture.shell(["ps", "-eww", "-o", "args"]).split(separator: "\n")
            if lines.contains(where: { $0.contains("exec") && $0.contains(marker) }) { sawStep = true }
            leaked += lines.filter { $0.contains(secret) }.map(String.init)
            if try await system.client.pipeline(created.id).state == "errored" { break }
            let workflows = try await system.client.workflows(pipeline: created.id)
            if !workflows.isEmpty && workflows.allSatisfy({ $0.status != "running" && $0.status != "on_hold" }) { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        let outcome = try await system.client.wait(for: created.id)
        #expect(outcome.status == "success")
        let steps = try await system.client.steps(slug, job: try #require(outcome.workflows.first?.jobs.first?.job_number))
        #expect(steps.last?.output.contains(
            "got job-\(secret) step-\(secret)\nwith a second line\n primary-\(secret) docker-\(secret)") == true, "\(steps.last?.output ?? "")")
        #expect(sawStep, "the step's docker exec was never seen in ps")
        #expect(leaked.isEmpty, "\(leaked)")
    }

    @Test func noOutputTimeoutStopsTheStepAndFailsTheJob() async throws {
        let (_, outcome, steps) = try await run(Self.unique("quiet"), job: """
                docker:
                  - image: \(try fixture.jobImage)
                steps:
                  - run:
                      name: Quiet
                      command: echo starting; sleep 100
                      no_output_timeout: 2s
                  - run: echo never-runs
                  - run:
                      name: Leftovers
                      when: always
                      command: echo "leftover=$(for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done 2>/dev/null | grep -c 'slee[p] 100')"
            """)
        #expect(outcome.status == "failed")
        #expect(outcome.workflows.first?.jobs.first?.status == "failed")
        #expect(steps.map(\.name) == ["Spin up environment", "Quiet", "Leftovers"])
        #expect(steps.count == 3 && steps[1].status == "timedout")
        #expect(steps.count == 3 && steps[1].output.contains("Too long with no output"), "\(steps.map(\.output))")
        // The timed-out step's processes were killed in the container, not just its `docker exec`.
        #expect(steps.last?.output == "leftover=0\n", "\(steps.last?.output ?? "")")
    }

    @Test func setupRemoteDockerFailsSayingItIsNotAvailableYet() async throws {
        let (_, outcome, steps) = try await run(Self.unique("remote-docker"), job: """
                docker:
                  - image: \(try fixture.jobImage)
                steps:
                  - setup_remote_docker
                  - run: echo never-runs
            """)
        #expect(outcome.status == "failed")
        #expect(steps.count == 2)
        #expect(steps.last?.status == "failed")
        #expect(steps.last?.output.contains("setup_remote_docker is not supported by this Gyre installation yet") == true)
    }

    @Test func builtInVariablesDescribeTheJob() async throws {
        let (_, outcome, steps) = try await run(Self.unique("builtins"), job: """
                docker:
                  - image: \(try fixture.jobImage)
                steps:
                  - run: echo "node=$CIRCLE_NODE_INDEX/$CIRCLE_NODE_TOTAL stage=$CIRCLE_STAGE job=$CIRCLE_JOB wfjob=${CIRCLE_WORKFLOW_JOB_ID:-none} ws=${CIRCLE_WORKFLOW_WORKSPACE_ID:-none}"
            """)
        #expect(outcome.status == "success")
        let job = try #require(outcome.workflows.first?.jobs.first)
        let workflow = try #require(outcome.workflows.first?.workflow)
        #expect(steps.last?.output == "node=0/1 stage=build job=build wfjob=\(job.id.uuidString.lowercased()) ws=\(workflow.id.uuidString.lowercased())\n",
                "\(steps.last?.output ?? "")")
    }
    @Test func theCircleciCommandIsMountedReadOnlyInThePrimary() async throws {
        let (_, outcome, steps) = try await run(Self.unique("circleci-bin"), job: """
                docker:
                  - image: \(try fixture.jobImage)
                steps:
                  - run: |
                      test -x /usr/local/bin/circleci && echo "present"
                      if echo x 2>/dev/null >> /usr/local/bin/circleci; then echo "writable"; else echo "read-only"; fi
            """)
        #expect(outcome.status == "success")
        #expect(steps.last?.output == "present\nread-only\n", "\(steps.last?.output ?? "")")
    }
    @Test func thePrimarysCommandRunsBesideTheSteps() async throws {
        let (_, outcome, steps) = try await run(Self.unique("primary-command"), job: """
                docker:
                  - image: \(try fixture.jobImage)
                    command: ["bash", "-c", "echo \\"from-command $PRIMARY_VALUE\\" > /tmp/marker; sleep 600"]
                    environment:
                      PRIMARY_VALUE: env-of-primary
                steps:
                  - run: for i in $(seq 1 100); do [ -s /tmp/marker ] && break; sleep 0.1; done; cat /tmp/marker
            """)
        #expect(outcome.status == "success", "\(steps.map(\.output))")
        #expect(steps.first?.output.contains("Running the primary container's command in the background") == true)
        #expect(steps.last?.output == "from-command env-of-primary\n", "\(steps.last?.output ?? "")")
    }
}
}
