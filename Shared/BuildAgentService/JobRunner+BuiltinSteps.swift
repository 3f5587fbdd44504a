import Foundation
import GyreModel
import GyreProtocol
import GyreTestSplit

extension JobRunner {
    /// Runs a built-in step (everything but `checkout`, `run` and
    /// `setup_remote_docker`) with a scratch directory of its own; its failure
    /// message goes to the step's output.
    func runBuiltin(_ step: StepPlan, index: Int, job: AgentJob, workspace: any Workspace, environment: [EnvVar],
                    handle: StepHandle) async -> StepStatus {
        guard let shell = workspace as? any JobShell else {
            handle.output(Array("\(step.kind) cannot run on this kind of executor\n".utf8))
            return .failed
        }
        let scratch = "\(steps.scratchDirectory)/\(job.jobId.uuidString.lowercased())-\(job.attempt)-\(index)"
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let context = StepContext(job: job, shell: shell, storage: steps.storage.scoped(to: job), environment: environment,
                                  scratch: scratch, handle: handle, arch: StepContext.agentArch, position: index - 1)
        do {
            try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
            switch step {
            case .saveCache(let step): try await step.run(in: context)
            case .restoreCache(let step): try await step.run(in: context)
            case .persistToWorkspace(let step): try await step.run(in: context)
            case .attachWorkspace(let step): try await step.run(in: context)
            case .storeArtifacts(let step): try await step.run(in: context)
            case .storeTestResults(let step): try await step.run(in: context)
            case .addSSHKeys(let step): try await step.run(in: context)
            case .checkout, .run, .setupRemoteDocker:
                throw StepFailure("\(step.kind) is not a built-in step of this agent")
            }
            return .success
        } catch {
            handle.output(Array("\(error)\n".utf8))
            return .failed
        }
    }

    /// Variables for the in-job tools: HOME and `circleci` on PATH for host jobs (Docker
    /// jobs get it mounted at /usr/local/bin), and the project's test timings for
    /// `circleci tests split --split-by=timings` when a step splits tests.
    func toolEnvironment(_ job: AgentJob, in workspace: any Workspace) async -> [EnvVar] {
        var variables: [EnvVar] = []
        // On a host runner `~` is the job's own directory, for the shell as for the
        // config's paths, so jobs neither share nor litter the agent's home.
        if case .machine = job.plan.executor, let shell = workspace as? any JobShell {
            variables.append(EnvVar("HOME", shell.homeDirectory))
        }
        if case .machine = job.plan.executor,
           let binary = dockerSettings.circleciBinary ?? DockerSettings.circleciBinary(configured: nil),
           let directory = Self.toolDirectory(circleci: binary, under: steps.scratchDirectory) {
            let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
            variables.append(EnvVar("PATH", "\(directory):\(path)"))
        }
        await listFailedTests(job, in: workspace)
        // Parallel jobs split tests (maybe from a script); others only when a step says so.
        let splits = job.nodeTotal > 1 || job.plan.steps.contains { step in
            if case .run(let run) = step { return run.command.contains("tests split") || run.command.contains("tests run") }
            return false
        }
        guard splits, let shell = workspace as? any JobShell,
              let timings = try? await steps.storage.scoped(to: job).timings(project: job.projectSlug) else { return variables }
        let scratch = "\(steps.scratchDirectory)/\(job.jobId.uuidString.lowercased())-\(job.attempt)-timings"
        try? FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let file = "\(scratch)/timings.json"
        let target = "\(shell.homeDirectory)/.circleci-test-timings.json"
        guard FileManager.default.createFile(atPath: file, contents: timings),
              let code = try? await shell.execute(["/bin/sh", "-c", #"cat > "$1""#, "gyre-timings", target],
                                                  input: file, stdout: nil, output: { _ in }),
              code == 0 else { return variables }
        variables.append(EnvVar("CIRCLE_INTERNAL_TEST_TIMINGS", target))
        return variables
    }

    /// A job rerun from failed: the previous run's failed tests, in the agent
    /// directory, for `circleci tests run` (nothing when it recorded none).
    func listFailedTests(_ job: AgentJob, in workspace: any Workspace) async {
        guard let previous = job.previousRun else { return }
        guard let failed = try? await steps.storage.scoped(to: job).failedTests(job: previous), !failed.isEmpty else { return }
        let path = "\(workspace.agentDirectory.host)/\(TestsCommand.failedTestsName)"
        _ = FileManager.default.createFile(atPath: path, contents: Data(FailedTests.lines(failed).utf8),
                                           attributes: [.posixPermissions: 0o644])
    }

    /// A directory holding only `circleci` and `circleci-agent` links (the
    /// agent's own bin directory holds every Gyre service, which host jobs
    /// have no business running).
    static func toolDirectory(circleci binary: String, under scratch: String) -> String? {
        let directory = "\(scratch)/bin"
        let manager = FileManager.default
        for name in ["circleci", "circleci-agent"] {
            let link = "\(directory)/\(name)"
            if (try? manager.destinationOfSymbolicLink(atPath: link)) == binary { continue }
            do {
                try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let staged = "\(link).\(UUID().uuidString)"
                try manager.createSymbolicLink(atPath: staged, withDestinationPath: binary)
                // rename(2) replaces an older link atomically, even with jobs starting at once.
                guard rename(staged, link) == 0 else {
                    try? manager.removeItem(atPath: staged)
                    return nil
                }
            } catch {
                return nil
            }
        }
        return directory
    }
}
