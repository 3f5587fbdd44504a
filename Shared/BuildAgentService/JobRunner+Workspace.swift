import Foundation
import GyreDocker
import GyreModel
import GyreProtocol

extension JobRunner {
    /// Where the job runs; nil for a Docker job on an agent without Docker.
    func workspace(for job: AgentJob, jobDirectory: String) -> (any Workspace)? {
        switch job.plan.executor {
        case .docker(let images):
            guard let docker else { return nil }
            let labels = [
                DockerSettings.jobLabel: job.jobId.uuidString.lowercased(),
                DockerSettings.attemptLabel: String(job.attempt),
                DockerSettings.agentLabel: agentId.uuidString.lowercased(),
                DockerSettings.builderLabel: dockerSettings.builder,
                DockerSettings.projectLabel: job.projectSlug,
            ]
            return DockerWorkspace(docker: docker, images: images, name: Self.containerPrefix(job.jobId, job.attempt),
                                   jobDirectory: jobDirectory, configuredDirectory: job.plan.workingDirectory,
                                   labels: labels, resourceClass: job.plan.resourceClass, settings: dockerSettings)
        case .machine:
            return HostWorkspace(jobDirectory: jobDirectory, configuredDirectory: job.plan.workingDirectory)
        }
    }
}
