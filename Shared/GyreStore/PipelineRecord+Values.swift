import Foundation
import GyreModel

extension PipelineRecord {
    /// The `pipeline.*` values a configuration of this pipeline is compiled with.
    public func values(revision: String) -> PipelineValues {
        PipelineValues(
            id: id, number: number, projectGitURL: vcsURL,
            projectType: ProjectSlug(projectSlug)?.vcs == "bb" ? "bitbucket" : "github",
            gitBranch: branch, gitTag: tag, gitRevision: revision,
            triggerSource: triggerSource, scheduledWorkflow: scheduledWorkflow,
            projectSlug: projectSlug, triggerParameters: circleciTriggerParameters)
    }

    /// `pipeline.trigger_parameters.*` of a pipeline (CircleCI's own, `circleci.*`; others are empty).
    public var circleciTriggerParameters: [String: String] {
        let type = scheduledWorkflow != nil ? "schedule" : (triggerType == "webhook" ? "github" : "api")
        return [
            "circleci.trigger_type": type,
            "circleci.event_type": scheduledWorkflow != nil ? "schedule"
                : (triggerType == "webhook" ? (tag != nil ? "tag" : "push") : "manual"),
            "circleci.event_time": ISO8601DateFormatter().string(from: createdAt),
            "circleci.actor_id": actor,
        ]
    }
}
