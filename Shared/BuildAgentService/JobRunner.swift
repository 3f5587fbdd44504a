import Foundation
import GyreDocker
import GyreGit
import GyreMasking
import GyreModel
import GyreProtocol
import Logging
import Synchronization

/// Runs one job attempt: sets up its workspace, runs its steps in order with
/// their `when` conditions, streams every step's output and status as events,
/// and always cleans up.
struct JobRunner: Sendable {
    let events: EventPublisher
    let docker: Docker?
    let git: Git?
    let workDirectory: String
    let agentId: UUID
    let logger: Logger
    /// The longest a job may run (GYRE_JOB_TIMEOUT_SECONDS).
    var jobTimeout: Duration = .seconds(18000)
    /// Running jobs, for `JobCancel`.
    var controls = JobControls()
    /// Docker settings of this builder (labels, limits, the in-job `circleci`).
    var dockerSettings = DockerSettings()
    /// The storage API and scratch space of the built-in steps (caches, workspaces, artifacts...).
    var steps = StepServices.unconfigured
    /// The API a setup job continues its pipeline through (GYRE_API_URL); nil = none.
    var apiProxy: JobAPIProxy?
    /// How long a job waits for an unreachable contexts service before it fails.
    var secretsPatience: Duration = .seconds(30)

    /// This builder's job directories (one per attempt): apart from other
    /// builders sharing the work directory, so each reaps only its own.
    var jobsDirectory: String {
        let safe = dockerSettings.builder.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." ? $0 : "_" }
        return "\(workDirectory)/jobs/\(String(safe))"
    }

    /// Where the in-job `circleci` finds the agent directory (see `Workspace.agentDirectory`).
    static let agentDirectoryVariable = "CIRCLE_INTERNAL_AGENT_DIR"

    static func containerPrefix(_ job: UUID, _ attempt: Int) -> String {
        "gyre-\(job.uuidString.lowercased().prefix(13))-\(attempt)"
    }

    func run(_ job: AgentJob) async {
        var logger = self.logger
        logger[metadataKey: "job_id"] = "\(job.jobId)"
        let attempt = JobAttempt(jobId: job.jobId, attempt: job.attempt)
        let control = controls.begin(attempt)
        defer { controls.end(attempt) }
        let emitter = StepEmitter(events: events, job: job, control: control)
        emitter.send(.jobStarted(agentId: agentId))
        let jobDirectory = "\(jobsDirectory)/\(Reaper.directoryName(attempt))"
        // A setup job continues its pipeline through a socket the agent serves.
        let apiSocket = job.isSetupJob && apiProxy != nil
            ? JobAPIProxy.socketPath(for: job.jobId, attempt: job.attempt, workDirectory: workDirectory) : nil
        guard let workspace = await workspace(for: job, jobDirectory: jobDirectory, apiSocket: apiSocket) else {
            emitter.send(.jobFinished(status: .infrastructureFail, message: "this agent has no Docker engine"))
            await events.flush()
            return
        }

        let jobLogger = logger
        let supervised = { @Sendable () async -> (JobStatus, String?) in
            await supervise(job, control: control, workspace: workspace, emitter: emitter) {
                await runSteps(job, in: workspace, emitter: emitter, logger: jobLogger)
            }
        }
        let (status, message) = if let apiSocket, let apiProxy {
            await apiProxy.serving(socket: apiSocket, logger: logger, supervised)
        } else {
            await supervised()
        }
        await workspace.cleanUp()
        try? FileManager.default.removeItem(atPath: jobDirectory)
        emitter.send(.jobFinished(status: status, message: message))
        await events.flush()
        logger.info("job finished", metadata: ["status": "\(status.rawValue)"])
    }

    /// `GYRE_API_SOCKET` for a setup job: where `circleci-agent continue` reaches the server.
    func apiEnvironment(_ job: AgentJob) -> [EnvVar] {
        guard job.isSetupJob, apiProxy != nil else { return [] }
        if case .machine = job.plan.executor {
            return [EnvVar(JobAPIProxy.environmentVariable, JobAPIProxy.socketPath(for: job.jobId, attempt: job.attempt, workDirectory: workDirectory))]
        }
        return [EnvVar(JobAPIProxy.environmentVariable, JobAPIProxy.containerPath)]
    }

    func runSteps(_ job: AgentJob, in workspace: any Workspace, emitter: StepEmitter,
                  logger: Logger) async -> (JobStatus, String?) {
        // Step 0 sets the environment up, as on CircleCI.
        let setup = emitter.start(index: 0, name: "Spin up environment", kind: "setup")
        if case .machine(let runnerClass) = job.plan.executor, runnerClass != job.plan.resourceClass {
            setup.output(Array(("Resource class \(job.plan.resourceClass) runs on self-hosted runner class \(runnerClass) "
                + "(GYRE_RESOURCE_CLASS_MAP), not on a \(job.plan.resourceClass) machine\n").utf8))
        }
        // Project and context variables, fetched for this job only (never in the assignment); their values are
        // masked in every step's output from here on.
        var secrets: [EnvVar] = []
        if job.secretEnvironment == true {
            switch await secretEnvironment(job) {
            case .success(let variables):
                secrets = variables.map { EnvVar($0.name, $0.value) }
                emitter.masking.use(SecretMasker(secrets: variables.map(\.value)))
                setup.output(Array(SecretListing.text(variables).utf8))
            case .failure(let refusal):
                setup.output(Array("\(refusal.message)\n".utf8))
                emitter.finish(setup, status: .failed, exitCode: nil)
                return (refusal.status, refusal.message)
            }
        }
        do {
            try await workspace.prepare(output: setup.output)
            emitter.finish(setup, status: .success, exitCode: 0)
        } catch {
            setup.output(Array("\(error)\n".utf8))
            emitter.finish(setup, status: .failed, exitCode: nil)
            return (.failed, "\(error)")
        }
        // CircleCI's precedence, lowest first: built-ins, project variables, contexts, the job's environment
        // (then the step's, in `execute`).
        let environment = BuiltinEnvironment.variables(for: job, workingDirectory: workspace.workingDirectory)
            + [EnvVar(Self.agentDirectoryVariable, workspace.agentDirectory.job)] + apiEnvironment(job)
            + (await toolEnvironment(job, in: workspace)) + secrets + job.plan.environment
        let haltMarker = "\(workspace.agentDirectory.host)/halt"
        var failed = false
        for (offset, step) in job.plan.steps.enumerated() {
            let index = offset + 1
            if Task.isCancelled { break }  // canceled or timed out: the supervisor reports the rest
            // `circleci step halt` in an earlier step: the job ends here, as it stands.
            if FileManager.default.fileExists(atPath: haltMarker) {
                logger.info("job halted from inside (circleci step halt)")
                break
            }
            switch step {
            case .checkout(let checkout):
                guard !failed else { continue }
                let handle = emitter.start(index: index, name: step.displayName, kind: step.kind)
                do {
                    guard let git else { throw WorkspaceError(message: "git is not installed on this agent") }
                    let path = checkout.path.map { DockerWorkspace.expand($0, home: workspace.hostWorkingDirectory) }
                        ?? workspace.hostWorkingDirectory
                    try await git.checkout(url: job.vcsURL, revision: job.revision, branch: job.branch, into: path,
                                           onOutput: handle.output)
                    await workspace.adopt(path)
                    emitter.finish(handle, status: .success, exitCode: 0)
                } catch {
                    handle.output(Array("\(error)\n".utf8))
                    emitter.finish(handle, status: .failed, exitCode: 1)
                    failed = true
                }
            case .run(let run):
                switch run.when {
                case .onSuccess where failed, .onFail where !failed: continue
                default: break
                }
                // `deploy` runs on the first node of a parallel job only.
                if run.firstNodeOnly && job.nodeIndex != 0 { continue }
                let handle = emitter.start(index: index, name: step.displayName, kind: step.kind)
                let (status, code) = await execute(run, shell: job.plan.shell, environment: environment, in: workspace,
                                                   handle: handle)
                emitter.finish(handle, status: status, exitCode: code)
                if status != .success { failed = true }
            case .setupRemoteDocker:
                guard !failed else { continue }
                let handle = emitter.start(index: index, name: step.displayName, kind: step.kind)
                handle.output(Array(RemoteDocker.unavailable.utf8))
                emitter.finish(handle, status: .failed, exitCode: nil)
                failed = true
            default:
                switch step.condition {
                case .onSuccess where failed, .onFail where !failed: continue
                default: break
                }
                let handle = emitter.start(index: index, name: step.displayName, kind: step.kind)
                let status = await runBuiltin(step, index: index, job: job, workspace: workspace,
                                              environment: environment, handle: handle)
                emitter.finish(handle, status: status, exitCode: status == .success ? 0 : 1)
                if status != .success { failed = true }
            }
        }
        return (failed ? .failed : .success, nil)
    }

    func execute(_ run: RunStep, shell: String?, environment: [EnvVar], in workspace: any Workspace,
                 handle: StepHandle) async -> (StepStatus, Int32?) {
        let timeout = Duration.seconds(run.noOutputTimeout ?? 600)
        let lastOutput = OutputClock()
        let events = self.events
        let output: @Sendable ([UInt8]) -> Void = { bytes in
            lastOutput.touch()
            handle.output(bytes)
            // Called on the step's output reader thread: a job printing faster than its output is taken waits here.
            events.waitForRoom()
        }
        let result: (StepStatus, Int32?) = await withTaskGroup(of: (StepStatus, Int32?)?.self) { group in
            group.addTask {
                do {
                    let code = try await workspace.run(command: run.command, shell: run.shell ?? shell,
                                                       environment: environment + run.environment,
                                                       workingDirectory: run.workingDirectory, output: output)
                    return (code == 0 ? .success : .failed, code)
                } catch {
                    output(Array("\(error)\n".utf8))
                    return (.failed, nil)
                }
            }
            group.addTask {
                // Watchdog for `no_output_timeout`; not on any latency path.
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if lastOutput.silence > timeout { return (.timedout, nil) }
                }
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            if let first, first.0 == .timedout {
                output(Array("\nToo long with no output (exceeded \(timeout)): the step was stopped\n".utf8))
            }
            return first ?? (.failed, nil)
        }
        return result
    }
}

/// Writes one job's step events with per-step output offsets.
struct StepEmitter: Sendable {
    let events: EventPublisher
    let job: AgentJob
    /// Once the job is stopped, its step events are dropped (see `JobRunner.supervise`).
    var control = JobControl()
    /// The job's secret values, masked in the output of every step started after they are known.
    let masking = MaskingSlot()

    /// Steps reported finished so far (shared by every copy of this emitter).
    let finishedSteps = Counter()

    final class Counter: Sendable {
        private let value = Mutex(0)
        func add() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    func send(_ kind: JobEvent.Kind) {
        var kind = kind
        switch kind {
        case .stepFinished: finishedSteps.add()
        case .jobFinished(let status, let message, _): kind = .jobFinished(status: status, message: message, steps: finishedSteps.count)
        default: break
        }
        events.send(JobEvent(jobId: job.jobId, attempt: job.attempt, at: Self.now(), kind: kind))
    }

    static func now() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    func start(index: Int, name: String, kind: String) -> StepHandle {
        let handle = StepHandle(emitter: self, index: index)
        if control.started(handle) { send(.stepStarted(index: index, name: name, kind: kind)) }
        return handle
    }

    func finish(_ handle: StepHandle, status: StepStatus, exitCode: Int32?) {
        handle.flush()
        guard control.finished(handle) else { return }
        send(.stepFinished(index: handle.index, status: status, exitCode: exitCode, bytes: handle.bytes))
    }
}

/// The job's compiled secret masker, set once its secrets are known.
final class MaskingSlot: Sendable {
    private let masker = Mutex<SecretMasker?>(nil)

    func use(_ value: SecretMasker) { masker.withLock { $0 = value.isEmpty ? nil : value } }

    var current: SecretMasker? { masker.withLock { $0 } }
}

/// A running step: its output goes out as offset-stamped chunks, with the
/// job's secrets masked first (a secret split across chunks included: the
/// masking stream holds back only what could begin one).
final class StepHandle: Sendable {
    let emitter: StepEmitter
    let index: Int
    private struct State {
        var offset: Int64 = 0
        var stream: MaskingStream?
    }

    private let state: Mutex<State>

    init(emitter: StepEmitter, index: Int) {
        self.emitter = emitter
        self.index = index
        state = Mutex(State(stream: emitter.masking.current.map { MaskingStream(masker: $0) }))
    }

    var bytes: Int64 { state.withLock { $0.offset } }

    /// Sends what the masking stream still holds (at the end of the step).
    func flush() {
        state.withLock { state in
            guard var stream = state.stream, !emitter.control.isStopped else { return }
            let rest = stream.finish()
            state.stream = stream
            guard !rest.isEmpty else { return }
            emitter.send(.output(index: index, offset: state.offset, data: Data(rest)))
            state.offset += Int64(rest.count)
        }
    }

    func output(_ bytes: [UInt8]) {
        write(bytes, force: false)
    }

    /// Output written after the job was stopped (the supervisor's message).
    func forceOutput(_ bytes: [UInt8]) {
        write(bytes, force: true)
    }

    private func write(_ bytes: [UInt8], force: Bool) {
        guard !bytes.isEmpty else { return }
        // Masking, taking the offset and queueing the event under one lock keeps chunks in order.
        state.withLock { state in
            if !force && emitter.control.isStopped { return }
            var masked = bytes
            if var stream = state.stream {
                masked = stream.feed(bytes)
                if force { masked += stream.finish() }
                state.stream = stream
            }
            guard !masked.isEmpty else { return }
            emitter.send(.output(index: index, offset: state.offset, data: Data(masked)))
            state.offset += Int64(masked.count)
        }
    }
}

/// When a step last wrote output (for `no_output_timeout`).
final class OutputClock: Sendable {
    private let last = Mutex(ContinuousClock.now)

    func touch() {
        last.withLock { $0 = .now }
    }

    var silence: Duration { ContinuousClock.now - last.withLock { $0 } }
}
