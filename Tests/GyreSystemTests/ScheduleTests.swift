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
            // Stop the schedule so that no tick races the counts below, then let in-flight ticks commit.
            _ = try Self.sql(system, "DELETE FROM schedules WHERE project_slug = '\(slug)'")
            try await Task.sleep(for: .seconds(2))

            let tickRows = try Self.sql(system, """
                SELECT extract(epoch FROM tick)::bigint || ' ' || COALESCE(pipeline_id::text, 'none')
                FROM schedule_ticks WHERE project_slug = '\(slug)' ORDER BY tick
                """)
            let pipelines = try Self.sql(system, """
                SELECT id::text || ' ' || COALESCE(scheduled_workflow, '-') || ' ' || COALESCE(branch, '-')
                FROM pipelines WHERE project_slug = '\(slug)' AND trigger_source = 'scheduled_pipeline' ORDER BY number
                """)
            // Exactly one pipeline per tick, each tick on a slot boundary, each pipeline for the nightly workflow on main.
            #expect(pipelines.count == tickRows.count, "ticks \(tickRows) pipelines \(pipelines)")
            let tickPipelines = Set(tickRows.map { String($0.split(separator: " ")[1]) })
            #expect(tickPipelines == Set(pipelines.map { String($0.split(separator: " ")[0]) }))
            #expect(tickRows.allSatisfy { (Int($0.split(separator: " ")[0]) ?? 1) % Self.slot == 0 })
            #expect(pipelines.allSatisfy { $0.hasSuffix(" nightly main") })

            // A scheduled pipeline runs only its workflow.
            let first = try #require(pipelines.first.flatMap { UUID(uuidString: String($0.split(separator: " ")[0])) })
            let scheduled = try await system.client.wait(for: first)
            #expect(scheduled.workflows.map(\.workflow.name) == ["nightly"])
            #expect(scheduled.status == "success", "\(scheduled.pipeline.errors)")
            if let job = scheduled.workflows.first?.jobs.first?.job_number {
                let output = try await system.client.steps(slug, job: job).last?.output ?? ""
                #expect(output.contains("source=scheduled_pipeline"), "\(output)")
            }
        } catch {
            for instance in instances { await replicas.signal(instance, SIGTERM) }
            throw error
        }
        for instance in instances {
            #expect(await replicas.signal(instance, SIGTERM) == .exited(0), "\(instance)")
        }
    }
}
}
