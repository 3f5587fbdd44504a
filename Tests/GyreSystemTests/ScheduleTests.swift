import Foundation
import GyreLocal
import Testing

/// Scheduled workflows: two extra dispatcher replicas tick every few seconds
/// (GYRE_SCHEDULE_TICK_SECONDS), and each tick of a `* * * * *` schedule
/// creates exactly one scheduled pipeline that runs only the scheduled workflow.
extension EndToEnd {
@Suite struct ScheduleTests {
    static let slot = 4

    static func sql(_ system: SystemFixture, _ query: String) throws -> [String] {
        try SystemFixture.shell(["psql", system.system.configuration.postgresURL, "-At", "-c", query])
            .split(separator: "\n").map(String.init)
    }

    @Test func scheduleFiresExactlyOncePerTickWithTwoDispatcherReplicas() async throws {
        let system = try fixture
        let slug = try await system.project("scheduled", config: """
            version: 2.1
            jobs:
              build:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: echo "source=<< pipeline.trigger_source >>"
            workflows:
              commit:
                jobs:
                  - build
              nightly:
                triggers:
                  - schedule:
                      cron: "* * * * *"
                      filters:
                        branches:
                          only: [main]
                jobs:
                  - build
            """)
        // Two dispatchers of the same system (same database and queues) with short tick slots;
        // the suite's own dispatcher ticks each minute, and its claims use the same tick keys.
        var configuration = system.system.configuration
        configuration.runDirectory = system.runDirectory + "/schedule-replicas"
        configuration.portBase = try SystemFixture.freePortBase(count: ServiceCatalog.all.count * 2)
        configuration.extraEnvironment["GYRE_SCHEDULE_TICK_SECONDS"] = String(Self.slot)
        let replicas = LocalSystem(configuration: configuration)
        let instances = ["dispatcher", "dispatcher.2"]
        for instance in instances { try replicas.start(instance) }
        do {
            for instance in instances {
                let (code, body) = await OperationsTests.poll(replicas.url(of: instance, path: "/status"),
                                                             until: { $0 == 200 }, timeout: .seconds(30))
                #expect(code == 200, "\(instance): \(body)")
            }
            // Compiling a pipeline on main records the schedule.
            let commit = try await system.client.trigger(slug)
            let outcome = try await system.client.wait(for: commit.id)
            #expect(outcome.workflows.map(\.workflow.name) == ["commit"], "triggered workflows do not run on a push")
            #expect(try Self.sql(system, "SELECT workflow || ' ' || branch || ' ' || cron FROM schedules WHERE project_slug = '\(slug)'")
                == ["nightly main * * * * *"])

            // Wait for three ticks.
            let deadline = ContinuousClock.now + .seconds(90)
            var ticks = 0
            while ContinuousClock.now < deadline {
                ticks = Int(try Self.sql(system, "SELECT count(*) FROM schedule_ticks WHERE project_slug = '\(slug)'").first ?? "") ?? 0
                if ticks >= 3 { break }
                try await Task.sleep(for: .milliseconds(500))
            }
            #expect(ticks >= 3, "\(replicas.logTail("dispatcher")) \(replicas.logTail("dispatcher.2"))")
            let pipelines = try Self.sql(system, """
                SELECT id::text FROM pipelines WHERE project_slug = '\(slug)' AND trigger_source = 'scheduled_pipeline'
                ORDER BY number LIMIT 1
                """)

            // A scheduled pipeline runs only its workflow.
            let first = try #require(pipelines.first.flatMap { UUID(uuidString: $0) })
            let scheduled = try await system.client.wait(for: first)
            #expect(scheduled.workflows.map(\.workflow.name) == ["nightly"])
            #expect(scheduled.status == "success", "\(scheduled.pipeline.errors)")
            if let job = scheduled.workflows.first?.jobs.first?.job_number {
                let output = try await system.client.steps(slug, job: job).last?.output ?? ""
                #expect(output.contains("source=scheduled_pipeline"), "\(output)")
            }

            // Stop the schedule: the replicas, then the config (a compiling scheduled pipeline
            // records the schedules of the config it reads), then the recorded rows.
            for instance in instances {
                #expect(await replicas.signal(instance, SIGTERM) == .exited(0), "\(instance)")
            }
            try SampleRepository.commit(at: "\(system.runDirectory)/repos/acme/scheduled.git", files: [
                ".circleci/config.yml": "version: 2.1\njobs:\n  build:\n    machine: true\n    resource_class: gyre/host\n"
                    + "    steps:\n      - run: echo done\nworkflows:\n  commit:\n    jobs: [build]\n",
            ])
            _ = try Self.sql(system, "DELETE FROM schedules WHERE project_slug = '\(slug)'")

            // One statement, so one snapshot: every tick has exactly one pipeline (nightly on main),
            // there is no scheduled pipeline without a tick, and every tick is on a slot boundary.
            let counts = try Self.sql(system, """
                SELECT (SELECT count(*) FROM schedule_ticks WHERE project_slug = '\(slug)') || ' ' ||
                       (SELECT count(*) FROM pipelines WHERE project_slug = '\(slug)' AND trigger_source = 'scheduled_pipeline') || ' ' ||
                       (SELECT count(*) FROM schedule_ticks t WHERE t.project_slug = '\(slug)' AND NOT EXISTS (
                            SELECT 1 FROM pipelines p WHERE p.id = t.pipeline_id AND p.scheduled_workflow = 'nightly'
                            AND p.branch = 'main' AND p.trigger_source = 'scheduled_pipeline')) || ' ' ||
                       (SELECT count(*) FROM schedule_ticks WHERE project_slug = '\(slug)'
                            AND extract(epoch FROM tick)::bigint % \(Self.slot) <> 0)
                """).first?.split(separator: " ").compactMap { Int($0) } ?? []
            try #require(counts.count == 4)
            #expect(counts[0] >= 3)
            #expect(counts[1] == counts[0], "ticks \(counts[0]), scheduled pipelines \(counts[1])")
            #expect(counts[2] == 0, "ticks without their nightly pipeline")
            #expect(counts[3] == 0, "ticks off the slot boundaries")
        } catch {
            for instance in instances { await replicas.signal(instance, SIGTERM) }
            throw error
        }
    }
}
}
