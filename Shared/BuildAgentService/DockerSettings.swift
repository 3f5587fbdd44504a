import Foundation
import GyreDocker
import Synchronization

/// What every Docker job of this builder shares: the label that marks its
/// containers (for reaping), the in-job `circleci` binary, the engine's CPUs.
struct DockerSettings: Sendable {
    /// `gyre.builder` label value: stable across restarts of the same builder
    /// (its name and work directory), unlike the agent id.
    var builder: String = ""
    /// Host path of the `circleci` binary mounted read-only at /usr/local/bin/circleci, if any.
    var circleciBinary: String?
    /// The network of job containers (GYRE_AGENT_JOB_NETWORK): `none` (no
    /// network beyond the job's own service containers), `host`, or the
    /// name of a Docker network. Service containers share the primary's.
    var jobNetwork = "none"
    let hostCPUs = HostCPUs()

    static let builderLabel = "gyre.builder"
    static let jobLabel = "gyre.job"
    static let attemptLabel = "gyre.attempt"
    static let agentLabel = "gyre.agent"
    static let projectLabel = "gyre.project"

    static func builder(name: String, workDirectory: String) -> String {
        "\(name)@\(workDirectory)"
    }

    /// Why `network` cannot be a job network, or nil when it can.
    static func problem(jobNetwork network: String) -> String? {
        if network == "none" || network == "host" { return nil }
        let allowed = network.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
        guard allowed, let first = network.first, first.isLetter || first.isNumber else {
            return "GYRE_AGENT_JOB_NETWORK: \"\(network)\" is not none, host or a Docker network name"
        }
        return nil
    }

    /// GYRE_CIRCLECI_BIN, else `circleci` next to the agent's executable; nil when that file is missing.
    /// The Docker classes an agent offers besides the common sizes when
    /// GYRE_AGENT_DOCKER_CLASSES is unset: CircleCI's arm classes on an arm64 host.
    static var defaultExtraClasses: [String] {
        #if arch(arm64)
        return ["arm.medium", "arm.large", "arm.xlarge", "arm.2xlarge"]
        #else
        return []
        #endif
    }

    static func circleciBinary(configured: String?) -> String? {
        let path = configured ?? URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            .deletingLastPathComponent().appendingPathComponent("circleci").path
        return FileManager.default.isExecutableFile(atPath: path) ? path : nil
    }
}

/// The engine's CPU count, asked once.
final class HostCPUs: Sendable {
    private let count = Mutex<Int?>(nil)

    func value(_ docker: Docker) async -> Int {
        if let known = count.withLock({ $0 }) { return known }
        let found = (try? await docker.cpuCount()) ?? ProcessInfo.processInfo.activeProcessorCount
        count.withLock { $0 = found }
        return found
    }
}
