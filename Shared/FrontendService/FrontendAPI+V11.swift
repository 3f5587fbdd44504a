import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// CircleCI API v1.1 calls older clients use: trigger a branch, read a build
/// (a job, in 2.x terms) and list a project's recent builds.
extension FrontendAPI {
    func registerV11(on router: Router<Context>) {
        let v11 = router.group("api/v1.1/project/:vcs/:org/:repo")
        v11.post("tree/:branch") { request, context in try await triggerV11(request, context) }
        v11.get(":build_num") { request, context in try await buildV11(request, context) }
        v11.get("") { request, context in try await recentBuildsV11(request, context) }
    }

    struct V11TriggerBody: Decodable {
        var revision: String?
        var tag: String?
        var parameters: [String: GyreModel.ParameterValue]?
        var build_parameters: [String: GyreModel.ParameterValue]?
    }

    func triggerV11(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .build)
        guard let raw = context.parameters.get("branch") else { throw APIError.badRequest("give a branch: /tree/{branch}") }
        let branch = raw.removingPercentEncoding ?? raw
        let body = try await body(V11TriggerBody.self, request, allowEmpty: true)
        for ref in [branch, body?.tag].compactMap({ $0 }) where !Self.isSafeRef(ref) {
            throw APIError.badRequest("\"\(ref)\" is not a valid branch or tag name")
        }
        if let revision = body?.revision, !GitHubWebhook.isRevision(revision) {
            throw APIError.badRequest("revision must be a full commit id (40 hex digits)")
        }
        let pipelineRequest = PipelineRequest(
            project: slug, branch: body?.tag == nil ? branch : nil, tag: body?.tag, revision: body?.revision,
            parameters: (body?.parameters ?? [:]).mapValues(\.description), triggerType: "api", triggerSource: .api,
            actor: "api")
        let id = try await guarded { try await WebhookStore(database: store.database, secrets: secrets).createPipeline(pipelineRequest) }
        guard let id else {
            throw APIError.notFound("project \(slug) (follow it first: POST /api/v1.1/project/\(slug)/follow)")
        }
        relay.notify()
        let pipeline = try await guarded { try await store.pipeline(id) }
        struct Out: Encodable {
            var status: Int
            var body: String
            var pipeline_id: UUID
            var pipeline_number: Int?
            var note: String?
        }
        let note = (body?.build_parameters?.isEmpty ?? true) ? nil
            : "build_parameters are ignored: Gyre runs 2.x pipelines; pass pipeline parameters as \"parameters\""
        return JSONResponse.make(Out(status: 200, body: "Build created", pipeline_id: id,
                                     pipeline_number: pipeline?.number, note: note))
    }

    func buildV11(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        let number = try int(context, "build_num")
        guard let job = try await guarded({ try await store.job(project: slug, number: number) }) else {
            throw APIError.notFound("build \(number) of project \(slug)")
        }
        return JSONResponse.make(try await buildDetails(job, slug: slug))
    }

    func recentBuildsV11(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        let limit = min(max(Int(request.uri.queryParameters.get("limit") ?? "") ?? 30, 1), 100)
        let offset = max(Int(request.uri.queryParameters.get("offset") ?? "") ?? 0, 0)
        guard try await guarded({ try await store.project(slug) }) != nil else { throw APIError.notFound("project \(slug)") }
        let numbers = try await guarded {
            try await BuildStore(database: store.database).recentJobNumbers(project: slug, limit: limit, offset: offset)
        }
        var builds: [V11Build] = []
        for number in numbers {
            guard let job = try await guarded({ try await store.job(project: slug, number: number) }) else { continue }
            var build = try await buildDetails(job, slug: slug)
            build.steps = nil
            builds.append(build)
        }
        return JSONResponse.make(builds)
    }

    func buildDetails(_ job: JobRecord, slug: ProjectSlug) async throws -> V11Build {
        let pipeline = try await guarded { try await store.pipeline(job.pipelineId) }
        let runs = try await guarded { try await BuildStore(database: store.database).nodeRuns(parent: job.id) }
        // A parallel job's steps come from its runs; any other job's from itself as node 0.
        var nodes: [(index: Int, steps: [StepRecord])] = []
        if runs.isEmpty {
            nodes.append((0, try await guarded { try await store.steps(job: job.id, attempt: job.attempt) }))
        } else {
            for run in runs {
                nodes.append((run.index, try await guarded { try await store.steps(job: run.jobId, attempt: run.attempt) }))
            }
        }
        var steps: [V11Build.Step] = []
        for (node, records) in nodes {
            for record in records {
                var action = V11Build.Action(record, node: node)
                if runs.isEmpty {
                    action.output_url = "/api/v2/project/\(slug)/job/\(job.number)/steps/\(record.index)/output"
                }
                if let position = steps.firstIndex(where: { $0.stepIndex == record.index }) {
                    steps[position].actions.append(action)
                } else {
                    steps.append(V11Build.Step(stepIndex: record.index, name: record.name, actions: [action]))
                }
            }
        }
        return V11Build(job: job, slug: slug, pipeline: pipeline, steps: steps.sorted { $0.stepIndex < $1.stepIndex })
    }
}
