import Foundation
import GyreDocker
import GyreModel
import GyreProtocol

extension JobRunner {
    /// Where the job runs; nil for a Docker job on an agent without Docker.
    func workspace(for job: AgentJob, jobDirectory: String, apiSocket: String? = nil) async -> (any Workspace)? {
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
            // Stock images (cimg/*, circleci/*) run as a user of their own: `~`, the
            // working directory and file ownership follow the image's user.
            var imageUser: (user: String, home: String?)?
            if let primary = images.first { imageUser = await docker.imageUser(primary.image) }
            return DockerWorkspace(docker: docker, images: images, name: Self.containerPrefix(job.jobId, job.attempt),
                                   jobDirectory: jobDirectory, configuredDirectory: job.plan.workingDirectory,
                                   labels: labels, resourceClass: job.plan.resourceClass, settings: dockerSettings,
                                   imageUser: imageUser, apiSocket: apiSocket)
        case .machine:
            return HostWorkspace(jobDirectory: jobDirectory, configuredDirectory: job.plan.workingDirectory)
        }
    }
}
