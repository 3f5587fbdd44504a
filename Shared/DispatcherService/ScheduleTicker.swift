import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Logging
import ServiceLifecycle

/// Fires scheduled workflows (`triggers: - schedule: {cron, filters}`).
///
/// Each dispatcher replica runs one ticker. It sleeps until the next tick
/// boundary (a UTC minute; `GYRE_SCHEDULE_TICK_SECONDS` shortens the slot for
/// tests), then, for every recorded schedule whose cron matches that tick,
/// claims `(project, workflow, branch, tick)` in `schedule_ticks`. Only the
/// replica whose claim succeeds creates the pipeline, in the same transaction,
/// so each tick fires exactly once however many replicas run.
///
/// Missed ticks are skipped, as CircleCI does: a dispatcher that was down, or
/// a tick that took longer than a slot, does not fire the ticks it missed later.
final class ScheduleTicker: Service, Sendable {
    let store: ScheduleStore
    let gate: StartupGate
    let clock: ScheduleClock
    let logger: Logger
    let onFired: @Sendable () -> Void

    init(store: ScheduleStore, gate: StartupGate, slotSeconds: Int, logger: Logger, onFired: @escaping @Sendable () -> Void) {
        self.store = store
        self.gate = gate
        self.clock = ScheduleClock(slotSeconds: slotSeconds)
        var logger = logger
        logger[metadataKey: "component"] = "schedule-ticker"
        self.logger = logger
        self.onFired = onFired
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !self.gate.isOpen {
                guard (try? await Task.sleep(for: .milliseconds(200))) != nil else { return }
            }
            while !Task.isCancelled {
                let tick = self.clock.nextTick(after: Date())
                let delay = tick.timeIntervalSinceNow
                if delay > 0 {
                    guard (try? await Task.sleep(for: .milliseconds(Int64((delay * 1000).rounded(.up))))) != nil else { return }
                }
                await self.fire(tick: tick)
            }
        }
    }

    /// Fires every schedule due at `tick`; failures are logged and that tick is skipped for them.
    func fire(tick: Date) async {
        let schedules: [ScheduleRecord]
        do {
            schedules = try await store.all()
        } catch {
            logger.warning("cannot read schedules; tick skipped", metadata: ["tick": "\(tick)", "error": "\(StoreError.reason(error))"])
            return
        }
        for due in clock.due(schedules, at: tick) {
            guard let project = ProjectSlug(due.project) else { continue }
            do {
                if let id = try await store.fire(project: project, workflow: due.workflow, branch: due.branch, tick: tick) {
                    logger.info("scheduled pipeline created", metadata: [
                        "pipeline_id": "\(id)", "project": "\(due.project)", "workflow": "\(due.workflow)",
                        "branch": "\(due.branch)", "tick": "\(ISO8601.format(tick))",
                    ])
                    onFired()
                }
            } catch {
                logger.warning("scheduled pipeline not created", metadata: [
                    "project": "\(due.project)", "workflow": "\(due.workflow)", "error": "\(StoreError.reason(error))",
                ])
            }
        }
    }

    /// Records the schedules a compiled config declares for the pipeline's
    /// branch (replacing that branch's earlier ones). Failures are logged: the
    /// pipeline itself is already stored, and the next compile records again.
    static func record(plan: PipelinePlan, project: String, branch: String?, store: ScheduleStore, logger: Logger) async {
        guard let branch else { return }
        do {
            try await store.replace(project: project, branch: branch, with: ScheduleClock.schedules(in: plan, branch: branch))
        } catch {
            logger.warning("schedules not recorded", metadata: ["project": "\(project)", "error": "\(StoreError.reason(error))"])
        }
    }
}
