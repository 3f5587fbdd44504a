import Foundation
import GyreModel
import GyreStore

/// The pure part of the schedule ticker: tick boundaries, which schedules a
/// tick fires, and which schedules a compiled config declares for a branch.
struct ScheduleClock: Sendable {
    /// 60 in production: a tick per UTC minute.
    let slotSeconds: Int

    /// The first tick boundary strictly after `date`.
    func nextTick(after date: Date) -> Date {
        let slot = Double(slotSeconds)
        let next = (floor(date.timeIntervalSince1970 / slot) + 1) * slot
        return Date(timeIntervalSince1970: next)
    }

    /// The schedules that fire at `tick`, one per (project, workflow, branch)
    /// even when several of its crons match. Unparseable crons never fire
    /// (the compiler rejects them before they are recorded).
    func due(_ schedules: [ScheduleRecord], at tick: Date) -> [ScheduleRecord] {
        var seen = Set<String>()
        var result: [ScheduleRecord] = []
        for schedule in schedules {
            guard let cron = try? CronSchedule(parsing: schedule.cron), cron.matches(tick) else { continue }
            let key = "\(schedule.project)\u{0}\(schedule.workflow)\u{0}\(schedule.branch)"
            if seen.insert(key).inserted { result.append(schedule) }
        }
        return result
    }

    /// Each `(workflow, cron)` whose schedule's branch filter allows `branch`.
    static func schedules(in plan: PipelinePlan, branch: String) -> [(workflow: String, cron: String)] {
        var result: [(workflow: String, cron: String)] = []
        for workflow in plan.workflows {
            for trigger in workflow.triggers where trigger.branches.allows(branch) {
                if !result.contains(where: { $0.workflow == workflow.name && $0.cron == trigger.cron }) {
                    result.append((workflow.name, trigger.cron))
                }
            }
        }
        return result
    }
}
