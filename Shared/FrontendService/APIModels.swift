import Foundation
import GyreModel
import GyreStore

/// `{items, next_page_token}`, as every v2 list answers.
struct Page<Item: Encodable>: Encodable {
    var items: [Item]
    var next_page_token: String? = nil

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(next_page_token, forKey: .next_page_token)
    }

    enum CodingKeys: String, CodingKey { case items, next_page_token }
}

struct APIProject: Encodable {
    var slug: String
    var name: String
    var id: String
    var organization_name: String
    var organization_slug: String
    var organization_id: String
    var vcs_info: VCSInfo

    struct VCSInfo: Encodable {
        var vcs_url: String
        var provider: String
        var default_branch: String
    }

    init(_ project: ProjectRecord, slug: ProjectSlug) {
        self.slug = project.slug
        self.name = slug.repo
        self.id = (project.id ?? SystemActor.id).uuidString.lowercased()
        self.organization_name = slug.org
        self.organization_slug = "\(slug.vcs)/\(slug.org)"
        self.organization_id = (project.organizationId ?? SystemActor.id).uuidString.lowercased()
        self.vcs_info = VCSInfo(vcs_url: project.vcsURL, provider: slug.providerName, default_branch: "main")
    }
}

struct APIPipeline: Encodable {
    struct Actor: Encodable {
        var login: String
        var avatar_url: String?
    }

    struct Trigger: Encodable {
        var type: String
        var received_at: Date
        var actor: Actor
    }

    struct VCS: Encodable {
        var provider_name: String
        var target_repository_url: String
        var origin_repository_url: String
        var branch: String?
        var tag: String?
        var revision: String?
    }

    var id: UUID
    var errors: [PipelineError]
    var project_slug: String
    var updated_at: Date
    var number: Int
    var trigger_parameters: [String: GyreModel.ParameterValue]
    var state: String
    var created_at: Date
    var trigger: Trigger
    var vcs: VCS

    init(_ pipeline: PipelineRecord) {
        id = pipeline.id
        errors = pipeline.errors
        project_slug = pipeline.projectSlug
        updated_at = pipeline.updatedAt
        number = pipeline.number
        trigger_parameters = pipeline.parameters
        state = pipeline.state.rawValue
        created_at = pipeline.createdAt
        trigger = Trigger(type: pipeline.triggerType, received_at: pipeline.createdAt,
                          actor: Actor(login: pipeline.actor, avatar_url: nil))
        vcs = VCS(provider_name: ProjectSlug(pipeline.projectSlug)?.providerName ?? "GitHub",
                  target_repository_url: pipeline.vcsURL, origin_repository_url: pipeline.vcsURL,
                  branch: pipeline.branch, tag: pipeline.tag, revision: pipeline.revision)
    }
}

struct APIWorkflow: Encodable {
    var pipeline_id: UUID
    var id: UUID
    var name: String
    var project_slug: String
    var status: String
    var started_by: String
    var pipeline_number: Int
    var created_at: Date
    var stopped_at: Date?
    var canceled_by: String?

    init(_ workflow: WorkflowRecord) {
        pipeline_id = workflow.pipelineId
        id = workflow.id
        name = workflow.name
        project_slug = workflow.projectSlug
        status = workflow.status.rawValue
        started_by = (workflow.startedBy ?? SystemActor.id).uuidString.lowercased()
        pipeline_number = workflow.pipelineNumber
        created_at = workflow.createdAt
        stopped_at = workflow.stoppedAt
        // A user's id, or Gyre's own actor for automatic cancels (auto-cancel, operator).
        canceled_by = workflow.canceledBy.map { (UUID(uuidString: $0) ?? SystemActor.id).uuidString.lowercased() }
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pipeline_id, forKey: .pipeline_id)
        try container.encode(id, forKey: .id)
        try container.encode(name, forKey: .name)
        try container.encode(project_slug, forKey: .project_slug)
        try container.encode(status, forKey: .status)
        try container.encode(started_by, forKey: .started_by)
        try container.encode(pipeline_number, forKey: .pipeline_number)
        try container.encode(created_at, forKey: .created_at)
        try container.encode(stopped_at, forKey: .stopped_at)
        try container.encodeIfPresent(canceled_by, forKey: .canceled_by)
    }

    enum CodingKeys: String, CodingKey {
        case pipeline_id, id, name, project_slug, status, started_by, pipeline_number, created_at, stopped_at, canceled_by
    }
}

struct APIWorkflowJob: Encodable {
    var dependencies: [UUID]
    var job_number: Int?
    var id: UUID
    var started_at: Date?
    var name: String
    var project_slug: String
    var status: String
    var type: String
    var stopped_at: Date?
    /// For an approval job: the id to approve it with (`POST /workflow/{id}/approve/{approval_request_id}`).
    var approval_request_id: UUID?

    init(_ job: JobRecord, dependencies: [UUID]) {
        self.dependencies = dependencies
        job_number = job.type == .approval ? nil : job.number
        approval_request_id = job.type == .approval ? job.id : nil
        id = job.id
        started_at = job.startedAt
        name = job.name
        project_slug = job.projectSlug
        status = job.status.rawValue
        // API v2 knows build and approval; a no-op marker is a build that ran nothing.
        type = job.type == .approval ? WorkflowJobType.approval.rawValue : WorkflowJobType.build.rawValue
        stopped_at = job.stoppedAt
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dependencies, forKey: .dependencies)
        try container.encode(job_number, forKey: .job_number)
        try container.encode(id, forKey: .id)
        try container.encode(started_at, forKey: .started_at)
        try container.encode(name, forKey: .name)
        try container.encode(project_slug, forKey: .project_slug)
        try container.encode(status, forKey: .status)
        try container.encode(type, forKey: .type)
        try container.encode(stopped_at, forKey: .stopped_at)
        try container.encodeIfPresent(approval_request_id, forKey: .approval_request_id)
    }

    enum CodingKeys: String, CodingKey {
        case dependencies, job_number, id, started_at, name, project_slug, status, type, stopped_at, approval_request_id
    }
}

struct APIJobDetails: Encodable {
    struct Project: Encodable {
        var slug: String
        var name: String
        var external_url: String
    }

    struct ParallelRun: Encodable {
        var index: Int
        var status: String
    }

    struct LatestWorkflow: Encodable {
        var id: UUID
        var name: String
    }

    struct Executor: Encodable {
        var type: String
        var resource_class: String
    }

    struct PipelineRef: Encodable {
        var id: UUID
    }

    struct Organization: Encodable {
        var name: String
    }

    struct Context: Encodable {
        var name: String
    }

    struct Message: Encodable {
        var type: String
        var message: String
        var reason: String?
    }

    var web_url: String
    var project: Project
    var parallel_runs: [ParallelRun]
    var started_at: Date?
    var latest_workflow: LatestWorkflow
    var name: String
    var executor: Executor
    var parallelism: Int
    var status: String
    var number: Int
    var pipeline: PipelineRef
    var duration: Int?
    var created_at: Date
    var messages: [Message]
    var contexts: [Context]
    var organization: Organization
    var queued_at: Date?
    var stopped_at: Date?

    init(_ job: JobRecord, slug: ProjectSlug, runs: [JobRunRecord] = [], waiting: WaitReason? = nil) {
        web_url = "/\(slug)/\(job.number)"
        project = Project(slug: slug.description, name: slug.repo, external_url: "")
        parallel_runs = runs.isEmpty
            ? (0..<max(1, job.parallelism)).map { ParallelRun(index: $0, status: job.status.rawValue) }
            : runs.map { ParallelRun(index: $0.nodeIndex, status: $0.status.rawValue) }
        started_at = job.startedAt
        latest_workflow = LatestWorkflow(id: job.workflowId, name: job.workflowName)
        name = job.name
        switch job.plan.executor {
        case .docker: executor = Executor(type: "docker", resource_class: job.plan.resourceClass)
        case .machine(let resourceClass): executor = Executor(type: "machine", resource_class: resourceClass)
        }
        parallelism = job.parallelism
        status = job.status.rawValue
        number = job.number
        pipeline = PipelineRef(id: job.pipelineId)
        if let started = job.startedAt, let stopped = job.stoppedAt {
            duration = Int(stopped.timeIntervalSince(started) * 1000)
        }
        created_at = job.createdAt
        messages = job.message.map { [Message(type: "info", message: $0, reason: nil)] } ?? []
        // Why a job that has not started is waiting (`reason` is a stable code).
        if let waiting { messages.append(Message(type: "waiting", message: waiting.message, reason: waiting.code)) }
        contexts = job.contexts.map(Context.init)
        organization = Organization(name: slug.org)
        queued_at = job.queuedAt
        stopped_at = job.stoppedAt
    }
}

/// A step and its output (Gyre's own endpoint; the v2 document has none).
struct APIStep: Encodable {
    var index: Int
    var node_index: Int
    var name: String
    var type: String
    var status: String
    var exit_code: Int?
    var started_at: Date?
    var stopped_at: Date?
    var output_bytes: Int64
    var output: String

    init(_ step: StepRecord, output: String) {
        index = step.index
        node_index = step.nodeIndex
        name = step.name
        type = step.kind
        status = step.status.rawValue
        exit_code = step.exitCode
        started_at = step.startedAt
        stopped_at = step.stoppedAt
        output_bytes = step.bytes
        self.output = output
    }
}

/// Gyre itself as an actor (webhooks, schedules, auto-cancel, the operator token): API v2 wants a UUID wherever an actor is named.
enum SystemActor {
    static let id = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!
    static let login = "gyre"
}

/// A user as API v2 describes one (`/me`, `/user/{id}`): `avatar_url` is present and null.
struct APIUser: Encodable {
    var id: UUID
    var login: String
    var name: String

    init(_ user: UserRecord) {
        id = user.id
        login = user.login
        name = user.name.isEmpty ? user.login : user.name
    }

    enum CodingKeys: String, CodingKey { case avatar_url, id, login, name }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeNil(forKey: .avatar_url)
        try container.encode(id.uuidString.lowercased(), forKey: .id)
        try container.encode(login, forKey: .login)
        try container.encode(name, forKey: .name)
    }
}

/// A page in CircleCI's shape: `items` and `next_page_token`, always there (null on the last page).
struct TokenPage<Item: Encodable>: Encodable {
    var items: [Item]
    var next_page_token: String?

    enum CodingKeys: String, CodingKey { case items, next_page_token }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(items, forKey: .items)
        try container.encode(next_page_token, forKey: .next_page_token)
    }
}
