import Foundation
import GyreModel
import GyreProtocol

extension JobRunner {
    /// Runs `steps` until they end, the job is canceled or its time is up. On
    /// a stop the steps' task is cancelled (killing the running process), the
    /// workspace is torn down (killing its containers), the open step is
    /// reported `canceled`/`timedout` and the steps after it `not_run`.
    func supervise(_ job: AgentJob, control: JobControl, workspace: any Workspace, emitter: StepEmitter,
                   steps: @escaping @Sendable () async -> (JobStatus, String?)) async -> (JobStatus, String?) {
        let limit = jobTimeout
        let timer = Task {
            try? await Task.sleep(for: limit)
            if !Task.isCancelled { control.stop(.timedOut(limit)) }
        }
        let work = Task {
            let result = await steps()
            control.complete()
            return result
        }
        let stop = await control.outcome()
        timer.cancel()
        guard let stop else { return await work.value }

        work.cancel()
        await workspace.cleanUp()
        // The steps' task ends once its process is gone; do not hang on one that ignores that.
        await withTaskGroup(of: Void.self) { group in
            group.addTask { _ = await work.value }
            group.addTask { try? await Task.sleep(for: .seconds(30)) }
            await group.next()
            group.cancelAll()
        }
        let (status, stepStatus, message): (JobStatus, StepStatus, String)
        switch stop {
        case .canceled:
            (status, stepStatus, message) = (.canceled, .canceled, "the job was canceled")
        case .timedOut(let limit):
            (status, stepStatus, message) = (.timedout, .timedout,
                                             "job exceeded the maximum run time of \(Self.describe(limit))")
        }
        let (open, lastStarted) = control.openSteps
        for handle in open {
            handle.forceOutput(Array("\n\(message)\n".utf8))
            emitter.send(.stepFinished(index: handle.index, status: stepStatus, exitCode: nil, bytes: handle.bytes))
        }
        for (offset, step) in job.plan.steps.enumerated() where offset + 1 > lastStarted {
            emitter.send(.stepStarted(index: offset + 1, name: step.displayName, kind: step.kind))
            emitter.send(.stepFinished(index: offset + 1, status: .notRun, exitCode: nil, bytes: 0))
        }
        return (status, message)
    }

    /// `5h`, `1h30m`, `90s` → `1m30s`.
    static func describe(_ duration: Duration) -> String {
        var seconds = Int(duration.components.seconds)
        var text = ""
        if seconds >= 3600 { text += "\(seconds / 3600)h"; seconds %= 3600 }
        if seconds >= 60 { text += "\(seconds / 60)m"; seconds %= 60 }
        if seconds > 0 || text.isEmpty { text += "\(seconds)s" }
        return text
    }
}
