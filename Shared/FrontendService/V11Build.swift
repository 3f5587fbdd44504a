import Foundation
import GyreModel
import GyreStore

/// A v1.1 build (one job of a 2.x workflow), shaped as CircleCI's `JobDetails`.
struct V11Build: Encodable {
    struct Workflows: Encodable {
        var workflow_id: UUID
        var workflow_name: String
        var job_name: String
        var job_id: UUID
        var upstream_job_ids: [UUID]
    }

    struct ResourceClass: Encodable {
        var `class`: String
        var cpu: Double?
        var ram: Int?
    }

    struct Picard: Encodable {
        var resource_class: ResourceClass
        var executor: String
    }

    struct Action: Encodable {
        var index: Int
        var step: Int
        var name: String
        var type: String
        var status: String
        var exit_code: Int?
        var failed: Bool?
        var start_time: Date?
        var end_time: Date?
        var run_time_millis: Int?
        var output_url: String?

        init(_ record: StepRecord, node: Int) {
            index = node
            step = record.index
            name = record.name
            type = record.kind
            status = record.status.rawValue
            exit_code = record.exitCode
            failed = record.status == .failed ? true : nil
            start_time = record.startedAt
            end_time = record.stoppedAt
            if let start = record.startedAt, let end = record.stoppedAt {
                run_time_millis = Int(end.timeIntervalSince(start) * 1000)
            }
        }
    }

    struct Step: Encodable {
        var stepIndex: Int
        var name: String
        var actions: [Action]

        enum CodingKeys: String, CodingKey { case name, actions }
    }

    var build_num: Int
    var status: String
    var lifecycle: String
    var outcome: String?
    var branch: String?
    var vcs_tag: String?
    var vcs_revision: String?
    var vcs_url: String
    var username: String
    var reponame: String
    var build_url: String
    var why: String
    var queued_at: Date?
    var start_time: Date?
    var stop_time: Date?
    var build_time_millis: Int?
    var parallel: Int
    var platform: String
    var picard: Picard
    var workflows: Workflows
    var pipeline_id: UUID
    var pipeline_number: Int?
    var messages: [[String: String]]
    var steps: [Step]?

    init(job: JobRecord, slug: ProjectSlug, pipeline: PipelineRecord?, steps: [Step]) {
        build_num = job.number
        (status, lifecycle, outcome) = Self.states(job.status)
        branch = pipeline?.branch
        vcs_tag = pipeline?.tag
        vcs_revision = pipeline?.revision
        vcs_url = pipeline?.vcsURL ?? ""
        username = slug.org
        reponame = slug.repo
        build_url = "/\(slug)/\(job.number)"
        why = pipeline?.triggerType ?? "api"
        queued_at = job.queuedAt
        start_time = job.startedAt
        stop_time = job.stoppedAt
        if let start = job.startedAt, let stop = job.stoppedAt {
            build_time_millis = Int(stop.timeIntervalSince(start) * 1000)
        }
        parallel = max(1, job.plan.parallelism)
        platform = "2.0"
        switch job.plan.executor {
        case .docker:
            let size = Self.dockerSizes[job.plan.resourceClass]
            picard = Picard(resource_class: ResourceClass(class: job.plan.resourceClass, cpu: size?.cpu, ram: size?.ram),
                            executor: "docker")
        case .machine(let resourceClass):
            picard = Picard(resource_class: ResourceClass(class: resourceClass, cpu: nil, ram: nil), executor: "machine")
        }
        workflows = Workflows(workflow_id: job.workflowId, workflow_name: job.workflowName, job_name: job.name,
                              job_id: job.id, upstream_job_ids: [])
        pipeline_id = job.pipelineId
        pipeline_number = pipeline?.number
        messages = job.message.map { [["type": "info", "message": $0]] } ?? []
        self.steps = steps
    }

    /// CircleCI's Docker resource classes: vCPUs and RAM in MiB.
    static let dockerSizes: [String: (cpu: Double, ram: Int)] = [
        "small": (1, 2048), "medium": (2, 4096), "medium+": (3, 6144), "large": (4, 8192),
        "xlarge": (8, 16384), "2xlarge": (16, 32768), "2xlarge+": (20, 40960),
    ]

    /// v1.1 `status`, `lifecycle` and `outcome` for a job status.
    static func states(_ status: JobStatus) -> (String, String, String?) {
        switch status.rawValue {
        case "blocked", "not_running": return ("not_running", "not_running", nil)
        case "on_hold": return ("on_hold", "not_running", nil)
        case "queued": return ("queued", "queued", nil)
        case "running": return ("running", "running", nil)
        case "not_run": return ("not_run", "not_run", nil)
        case "success": return ("success", "finished", "success")
        case "failed": return ("failed", "finished", "failed")
        case "canceled": return ("canceled", "finished", "canceled")
        case "timedout": return ("timedout", "finished", "timedout")
        case "infrastructure_fail", "terminated-unknown": return ("infrastructure_fail", "finished", "infrastructure_fail")
        case "retried": return ("retried", "finished", nil)
        default: return (status.rawValue, status.isFinal ? "finished" : "not_running", status.isFinal ? status.rawValue : nil)
        }
    }
}
