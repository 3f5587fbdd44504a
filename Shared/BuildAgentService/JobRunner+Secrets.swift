import Foundation
import GyreModel
import GyreProtocol

/// Why a job got no secret environment, and how it ends.
struct SecretRefusal: Error, Sendable {
    var status: JobStatus
    var message: String
}

extension JobRunner {
    /// The job's project and context variables from the contexts service, with
    /// the job's own token. A refusal (a context it may not use, or one that
    /// does not exist) ends the job `unauthorized`; a contexts service that
    /// stays unreachable or unavailable (503) for `secretsPatience` ends it `infrastructure_fail`.
    func secretEnvironment(_ job: AgentJob) async -> Result<[JobEnvironment.Variable], SecretRefusal> {
        let client = steps.contexts.scoped(to: job)
        let clock = ContinuousClock()
        let deadline = clock.now + secretsPatience
        var delay = Duration.milliseconds(100)
        while true {
            do {
                switch try await client.jobEnvironment(job: job.jobId) {
                case .variables(let variables): return .success(variables)
                case .refused(let message): return .failure(SecretRefusal(status: .unauthorized, message: message))
                }
            } catch {
                guard [.unreachable, .unavailable].contains(error.code), clock.now + delay < deadline, !Task.isCancelled else {
                    return .failure(SecretRefusal(status: .infrastructureFail,
                                                  message: "the job's environment variables could not be fetched: \(error.message)"))
                }
                logger.warning("contexts service not reachable; retrying", metadata: ["error": "\(error.message)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            }
        }
    }
}

/// What the setup step says about a job's secret environment: names only.
enum SecretListing {
    static func text(_ variables: [JobEnvironment.Variable]) -> String {
        guard !variables.isEmpty else { return "No environment variables from project settings or contexts\n" }
        var lines = ["Using environment variables from project settings and/or contexts:"]
        for variable in variables {
            let source = variable.source == "project" ? "project" : variable.source.replacingOccurrences(of: "context:", with: "context ")
            lines.append("  \(variable.name)=******** (\(source))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
