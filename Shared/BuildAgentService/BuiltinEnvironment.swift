import Foundation
import GyreModel
import GyreProtocol

/// The `CI` and `CIRCLE_*` variables every job sees.
enum BuiltinEnvironment {
    static func variables(for job: AgentJob, workingDirectory: String) -> [EnvVar] {
        let parts = job.projectSlug.split(separator: "/").map(String.init)
        var variables = [
            EnvVar("CI", "true"),
            EnvVar("CIRCLECI", "true"),
            EnvVar("CIRCLE_SHA1", job.revision),
            EnvVar("CIRCLE_BUILD_NUM", String(job.number)),
            EnvVar("CIRCLE_BUILD_URL", job.buildURL),
            EnvVar("CIRCLE_JOB", job.name),
            EnvVar("CIRCLE_STAGE", job.name),
            // Which of the job's parallel runs this is (`parallelism`).
            EnvVar("CIRCLE_NODE_INDEX", String(job.nodeIndex)),
            EnvVar("CIRCLE_NODE_TOTAL", String(max(1, job.nodeTotal))),
            EnvVar("CIRCLE_PROJECT_USERNAME", parts.count == 3 ? parts[1] : ""),
            EnvVar("CIRCLE_PROJECT_REPONAME", parts.count == 3 ? parts[2] : ""),
            EnvVar("CIRCLE_REPOSITORY_URL", job.vcsURL),
            EnvVar("CIRCLE_WORKFLOW_ID", job.workflowId.uuidString.lowercased()),
            // The job's id in the workflow: the same for all of its parallel runs.
            EnvVar("CIRCLE_WORKFLOW_JOB_ID", job.parentJobId.uuidString.lowercased()),
            EnvVar("CIRCLE_WORKFLOW_WORKSPACE_ID", job.workflowId.uuidString.lowercased()),
            EnvVar("CIRCLE_WORKING_DIRECTORY", workingDirectory),
            EnvVar("CIRCLE_PIPELINE_ID", job.pipelineId.uuidString.lowercased()),
            EnvVar("CIRCLE_PIPELINE_NUMBER", String(job.pipelineNumber)),
            EnvVar("CIRCLE_USERNAME", "api"),
        ]
        if let branch = job.branch { variables.append(EnvVar("CIRCLE_BRANCH", branch)) }
        if let tag = job.tag { variables.append(EnvVar("CIRCLE_TAG", tag)) }
        // Dynamic configuration: the setup workflow's jobs continue the pipeline with it.
        if let key = job.continuationKey { variables.append(EnvVar("CIRCLE_CONTINUATION_KEY", key)) }
        return variables
    }
}
