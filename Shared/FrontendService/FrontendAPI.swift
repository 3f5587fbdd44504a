import Foundation
import GyreModel
import GyreProtocol
import GyreRedis
import GyreServiceKit
import GyreStore
import Hummingbird

/// The HTTP handlers. Shapes follow the CircleCI API v2 document.
struct FrontendAPI: Sendable {
    let store: PipelineStore
    let logs: StepLogStorage
    let redis: RedisClient
    let relay: OutboxRelay
    let vcsBase: String
    let adminToken: String?
    let maxBody: Int
    let namespace: String
    /// Callers of recent tokens; revocations invalidate it on every replica.
    let tokens: TokenCache
    /// Access decisions (permissions service, cached in Redis).
    let authorizer: Authorizer
    /// Sign-in: attempts limited in Redis; LDAP when configured.
    let signInLimiter: SignInLimiter
    let directory: (any DirectorySignIn)?
    /// GYRE_EXTERNAL_URL: where users reach this server (https there makes session cookies Secure).
    let externalURL: String
    /// Secrets at rest (nil without a key-encryption key: /status says so).
    let secrets: SecretKeys?
    /// The ready-agent's report, for the admin page's system health (GYRE_READY_URL).
    let systemHealth: SystemHealthMonitor

    typealias Context = GyreRequestContext

    func register(on router: Router<Context>) {
        let v2 = router.group("api/v2")
        v2.get("project/:vcs/:org/:repo") { request, context in try await getProject(request, context) }
        v2.post("project/:vcs/:org/:repo/pipeline") { request, context in try await triggerPipeline(request, context) }
        v2.get("pipeline/:id") { request, context in try await getPipeline(request, context) }
        v2.get("pipeline/:id/workflow") { request, context in try await getPipelineWorkflows(request, context) }
        v2.get("workflow/:id") { request, context in try await getWorkflow(request, context) }
        v2.get("workflow/:id/job") { request, context in try await getWorkflowJobs(request, context) }
        v2.get("project/:vcs/:org/:repo/job/:number") { request, context in try await getJobDetails(request, context) }
        v2.get("project/:vcs/:org/:repo/job/:number/steps") { request, context in try await getJobSteps(request, context) }
        v2.get("project/:vcs/:org/:repo/job/:number/steps/:index/output") { request, context in
            try await getNodeStepOutput(request, context)
        }
        router.post("api/v1.1/project/:vcs/:org/:repo/follow") { request, context in try await follow(request, context) }
        registerTriggers(on: router)
        registerWorkflowControl(on: router)
        registerArtifacts(on: router)
        registerContinuation(on: router)
        registerOrbs(on: router)
        registerIdentity(on: router)
        registerLists(on: router)
        registerSessions(on: router)
        registerRoles(on: router)
        registerAdmin(on: router)
        registerAgents(on: router)
        registerAccount(on: router)
        registerAudit(on: router)
        registerContexts(on: router)
        registerEnvVars(on: router)
        registerInsights(on: router)
        registerUI(on: router)
    }

    // MARK: parameters

    func slug(_ context: Context) throws -> ProjectSlug {
        guard let vcs = context.parameters.get("vcs"), let org = context.parameters.get("org"),
              let repo = context.parameters.get("repo"), let slug = ProjectSlug(vcs: vcs, org: org, repo: repo)
        else {
            throw APIError.badRequest("project slug must look like gh/{org}/{repo} (or github/, bb/, bitbucket/)")
        }
        return slug
    }

    func uuid(_ context: Context, _ what: String) throws -> UUID {
        guard let text = context.parameters.get("id"), let id = UUID(uuidString: text) else {
            throw APIError.badRequest("\(what) id must be a UUID")
        }
        return id
    }

    func int(_ context: Context, _ name: String) throws -> Int {
        guard let text = context.parameters.get(name), let value = Int(text), value >= 0 else {
            throw APIError.badRequest("\(name) must be a whole number")
        }
        return value
    }

    /// The request body, up to GYRE_MAX_BODY_BYTES (413 beyond).
    func rawBody(_ request: Request) async throws -> ByteBuffer {
        var request = request
        do {
            return try await request.collectBody(upTo: maxBody)
        } catch {
            throw APIError(.contentTooLarge, "request body is larger than \(maxBody) bytes (GYRE_MAX_BODY_BYTES)")
        }
    }

    func body<T: Decodable>(_ type: T.Type, _ request: Request, allowEmpty: Bool) async throws -> T? {
        let buffer = try await rawBody(request)
        if buffer.readableBytes == 0 {
            if allowEmpty { return nil }
            throw APIError.badRequest("request body is empty; send a JSON object")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw APIError.badRequest("request body is not valid JSON for this call: \(Self.describe(error))")
        }
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
             DecodingError.dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        case DecodingError.keyNotFound(let key, _):
            return "missing key \(key.stringValue)"
        default:
            return "unreadable"
        }
    }

    /// Storage errors become 503 with a message, never SQL.
    func guarded<T>(_ body: () async throws -> T) async throws -> T {
        try await APIError.guardingDatabase(body)
    }

    // MARK: projects

    struct FollowBody: Decodable {
        var vcs_url: String?
        var webhook_secret: String?
    }

    func follow(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try slug(context)
        let roles = RoleStore(database: store.database)
        if context.caller?.admin != true {
            guard context.caller?.project == nil, context.caller?.userId != nil else {
                throw APIError(.forbidden, "a project token cannot follow projects; use a personal API token")
            }
            let exists = try await guarded { try await roles.organization(slug: slug.organization) } != nil
            let role = exists ? try await orgRole(context, organization: slug.organization) : nil
            guard Access.mayFollow(installationAdmin: false, organizationExists: exists, role: role) else {
                throw APIError(.forbidden, "\(context.caller?.login ?? "this caller") may not follow projects of \(slug.organization): "
                               + "that needs a member or admin role in the organisation")
            }
        }
        let body = try await body(FollowBody.self, request, allowEmpty: true)
        if let url = body?.vcs_url {
            try requireAdmin(context, because: "setting a project's git URL")
            guard Self.isGitURL(url) else {
                throw APIError.badRequest("vcs_url must be a file://, http(s)://, ssh:// or user@host:path git URL")
            }
        }
        if let secret = body?.webhook_secret {
            try requireAdmin(context, because: "setting a project's webhook secret")
            try Self.checkWebhookSecret(secret)
        }
        let base = vcsBase.hasSuffix("/") ? String(vcsBase.dropLast()) : vcsBase
        let url = body?.vcs_url ?? "\(base)/\(slug.org)/\(slug.repo).git"
        let urlChange = body?.vcs_url == nil ? nil : settingsChange(request, context, ["changed": ["vcs_url"]])
        let project = try await guarded { try await store.follow(slug: slug, vcsURL: url, change: urlChange) }
        // The first user to follow a project of a new organisation becomes its admin.
        if let user = context.caller?.userId, try await guarded({ try await roles.adoptOrganization(slug.organization, user: user) }) {
            await authorizer.cache.invalidate()
        }
        if let secret = body?.webhook_secret {
            let change = settingsChange(request, context, ["changed": ["webhook_secret"], "webhook_secret": "set"])
            _ = try await guarded {
                try await WebhookStore(database: store.database, secrets: secrets).setSecret(project: slug, secret: secret, change: change)
            }
        }
        struct Out: Encodable {
            var following: Bool
            var first_build: String?
            var slug: String
            var vcs_url: String
        }
        return JSONResponse.make(Out(following: true, first_build: nil, slug: project.slug, vcs_url: project.vcsURL))
    }

    static func isGitURL(_ url: String) -> Bool {
        ["file://", "http://", "https://", "ssh://", "git://"].contains { url.hasPrefix($0) }
            || url.range(of: #"^[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:"#, options: .regularExpression) != nil
    }

    /// Installation admins (and the operator token) only.
    func requireAdmin(_ context: Context, because action: String) throws {
        guard context.caller?.admin == true else {
            throw APIError(.forbidden, "\(action) needs an installation admin; \(context.caller?.login ?? "this caller") is not one")
        }
    }

    func getProject(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewStatus)
        guard let project = try await guarded({ try await store.project(slug) }) else { throw APIError.notFound("project \(slug)") }
        return JSONResponse.make(APIProject(project, slug: slug))
    }

    // MARK: pipelines

    struct TriggerBody: Decodable {
        var branch: String?
        var tag: String?
        var parameters: [String: GyreModel.ParameterValue]?
    }

    func triggerPipeline(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .build)
        let body = try await body(TriggerBody.self, request, allowEmpty: true)
        if body?.branch != nil && body?.tag != nil {
            throw APIError.badRequest("give either branch or tag, not both")
        }
        for ref in [body?.branch, body?.tag].compactMap({ $0 }) where !Self.isSafeRef(ref) {
            throw APIError.badRequest("\"\(ref)\" is not a valid branch or tag name")
        }
        let branch = body?.tag == nil ? (body?.branch ?? "main") : nil
        let parameters = body?.parameters ?? [:]
        let pipeline = try await guarded {
            try await store.createPipeline(project: slug, branch: branch, tag: body?.tag, typedParameters: parameters,
                                           triggerType: "api", actor: context.caller?.login ?? SystemActor.login,
                                           actorId: context.caller?.userId)
        }
        guard let pipeline else {
            throw APIError.notFound("project \(slug) (follow it first: POST /api/v1.1/project/\(slug)/follow)")
        }
        relay.notify()
        struct Out: Encodable {
            var id: UUID
            var state: String
            var number: Int
            var created_at: Date
        }
        return JSONResponse.make(Out(id: pipeline.id, state: pipeline.state.rawValue, number: pipeline.number,
                                     created_at: pipeline.createdAt), status: .created)
    }

    static func isSafeRef(_ ref: String) -> Bool {
        !ref.isEmpty && ref.count <= 255 && !ref.hasPrefix("-") && !ref.contains("..")
            && ref.range(of: #"^[A-Za-z0-9._/+-]+$"#, options: .regularExpression) != nil
    }

    func getPipeline(_ request: Request, _ context: Context) async throws -> Response {
        let id = try uuid(context, "pipeline")
        guard let pipeline = try await guarded({ try await store.pipeline(id) }) else { throw APIError.notFound("pipeline \(id)") }
        try await authorize(context, .viewStatus, project: pipeline.projectSlug)
        return JSONResponse.make(APIPipeline(pipeline))
    }

    func getPipelineWorkflows(_ request: Request, _ context: Context) async throws -> Response {
        let id = try uuid(context, "pipeline")
        guard let pipeline = try await guarded({ try await store.pipeline(id) }) else { throw APIError.notFound("pipeline \(id)") }
        try await authorize(context, .viewStatus, project: pipeline.projectSlug)
        let workflows = try await guarded { try await store.workflows(pipeline: id) }
        return JSONResponse.make(Page(items: workflows.map(APIWorkflow.init)))
    }

    func getWorkflow(_ request: Request, _ context: Context) async throws -> Response {
        let id = try uuid(context, "workflow")
        guard let workflow = try await guarded({ try await store.workflow(id) }) else { throw APIError.notFound("workflow \(id)") }
        try await authorize(context, .viewStatus, project: workflow.projectSlug)
        return JSONResponse.make(APIWorkflow(workflow))
    }

    func getWorkflowJobs(_ request: Request, _ context: Context) async throws -> Response {
        let id = try uuid(context, "workflow")
        guard let workflow = try await guarded({ try await store.workflow(id) }) else { throw APIError.notFound("workflow \(id)") }
        try await authorize(context, .viewBuilds, project: workflow.projectSlug)
        let jobs = try await guarded { try await store.jobs(workflow: id) }
        let ids = Dictionary(jobs.map { ($0.name, $0.id) }, uniquingKeysWith: { first, _ in first })
        return JSONResponse.make(Page(items: jobs.map { APIWorkflowJob($0, dependencies: $0.requires.compactMap { ids[$0] }) }))
    }

    func job(_ context: Context, may action: ProjectAction = .viewBuilds) async throws -> (ProjectSlug, JobRecord) {
        let slug = try await slug(context, may: action)
        let number = try int(context, "number")
        guard let job = try await guarded({ try await store.job(project: slug, number: number) }) else {
            throw APIError.notFound("job \(number) of project \(slug)")
        }
        return (slug, job)
    }

    func getJob(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, job) = try await job(context)
        return JSONResponse.make(APIJobDetails(job, slug: slug))
    }

    // MARK: step output

    /// Output from the storage directory (a running step's file is written before its live tail); a running step
    /// whose file this frontend cannot see (storage not shared) comes from the Redis live tail (its first
    /// `LiveTail.maxBytes`).
    func output(job: JobRecord, step: StepRecord, offset: UInt64 = 0, limit: Int = 64 << 20) async -> [UInt8] {
        let stored = logs.read(job: job.id, attempt: job.attempt, step: step.index, offset: offset, limit: limit)
        if step.status == .running, stored.isEmpty,
           let live = try? await redis.command(["GET", LiveTail.key(namespace: namespace, job: job.id, attempt: job.attempt, step: step.index)]),
           case .bulk(let bytes) = live {
            return offset < UInt64(bytes.count) ? Array(bytes[Int(offset)...].prefix(limit)) : []
        }
        return stored
    }
}

/// Pipeline parameters may be strings, numbers or booleans.
enum ParameterValue: Decodable {
    case text(String)

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .text(value ? "true" : "false")
        } else if let value = try? container.decode(Int.self) {
            self = .text(String(value))
        } else {
            self = .text(try container.decode(String.self))
        }
    }

    var text: String {
        switch self { case .text(let value): return value }
    }
}
