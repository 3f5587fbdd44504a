import Foundation
import GyreModel
import GyreStore
import Testing
@testable import DispatcherService

@Suite struct ScheduleClockTests {
    func date(_ text: String) throws -> Date {
        try Date(text, strategy: Date.ISO8601FormatStyle())
    }

    @Test func nextTickIsTheNextSlotBoundary() throws {
        let minute = ScheduleClock(slotSeconds: 60)
        #expect(minute.nextTick(after: try date("2026-01-05T10:00:00Z")) == (try date("2026-01-05T10:01:00Z")))
        #expect(minute.nextTick(after: try date("2026-01-05T10:00:59Z")) == (try date("2026-01-05T10:01:00Z")))
        let five = ScheduleClock(slotSeconds: 5)
        #expect(five.nextTick(after: try date("2026-01-05T10:00:07Z")) == (try date("2026-01-05T10:00:10Z")))
    }

    @Test func dueSelectsMatchingCronsOncePerWorkflowAndBranch() throws {
        let schedules = [
            ScheduleRecord(project: "gh/a/b", workflow: "nightly", branch: "main", cron: "0 2 * * *"),
            ScheduleRecord(project: "gh/a/b", workflow: "nightly", branch: "main", cron: "0 * * * *"),
            ScheduleRecord(project: "gh/a/b", workflow: "hourly", branch: "main", cron: "30 * * * *"),
            ScheduleRecord(project: "gh/a/b", workflow: "nightly", branch: "release", cron: "0 2 * * 1-5"),
            ScheduleRecord(project: "gh/a/b", workflow: "broken", branch: "main", cron: "not a cron"),
        ]
        let clock = ScheduleClock(slotSeconds: 60)
        // 2026-01-05 is a Monday.
        let due = clock.due(schedules, at: try date("2026-01-05T02:00:00Z"))
        #expect(due.map { "\($0.workflow)@\($0.branch)" } == ["nightly@main", "nightly@release"])
        #expect(clock.due(schedules, at: try date("2026-01-04T02:00:00Z")).map(\.branch) == ["main"])
        #expect(clock.due(schedules, at: try date("2026-01-05T02:30:00Z")).map(\.workflow) == ["hourly"])
        #expect(clock.due(schedules, at: try date("2026-01-05T02:31:00Z")).isEmpty)
    }

    @Test func schedulesOfAPlanFollowTheBranchFilter() {
        let job = WorkflowJobPlan(name: "j", requires: [], job: nil)
        let plan = PipelinePlan(workflows: [
            WorkflowPlan(name: "build", jobs: [job]),
            WorkflowPlan(name: "nightly", jobs: [job], triggers: [
                ScheduleTrigger(cron: "0 2 * * *", branches: PatternFilter(only: [NamePattern("main")])),
                ScheduleTrigger(cron: "0 3 * * *", branches: PatternFilter(only: [NamePattern("/rel-.*/")])),
            ]),
        ])
        #expect(ScheduleClock.schedules(in: plan, branch: "main").map { "\($0.workflow) \($0.cron)" } == ["nightly 0 2 * * *"])
        #expect(ScheduleClock.schedules(in: plan, branch: "rel-1").map(\.cron) == ["0 3 * * *"])
        #expect(ScheduleClock.schedules(in: plan, branch: "other").isEmpty)
    }
}
