import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Workflow control: approve, cancel, rerun, job cancel, project settings.
extension FrontendAPI {
    var control: WorkflowControlStore { WorkflowControlStore(database: store.database) }

    /// How an action is recorded: the caller's user id (Gyre's own actor for the operator token).
    func actor(_ context: Context) -> String {
        (context.caller?.userId ?? SystemActor.id).uuidString.lowercased()
    }

    func registerWorkflowControl(on router: Router<Context>) {
        let v2 = router.group("api/v2")
        v2.post("workflow/:id/approve/:approval") { request, context in try await approve(request, context) }
        v2.post("workflow/:id/cancel") { request, context in try await cancelWorkflow(request, context) }
        v2.post("workflow/:id/rerun") { request, context in try await rerunWorkflow(request, context) }
        v2.post("project/:vcs/:org/:repo/job/:number/cancel") { request, context in try await cancelJob(request, context) }
        v2.get("project/:vcs/:org/:repo/settings") { request, context in try await getSettings(request, context) }
        v2.patch("project/:vcs/:org/:repo/settings") { request, context in try await patchSettings(request, context) }
    }

    struct Accepted: Encodable {
        var message = "Accepted."
    }

    func answer(_ outcome: WorkflowControlStore.Outcome) throws -> Response {
        switch outcome {
        case .done:
            relay.notify()
            return JSONResponse.make(Accepted(), status: .accepted)
        case .notFound(let what):
            throw APIError.notFound(what)
        case .conflict(let message):
            throw APIError.badRequest(message)
        }
    }

    func approve(_ request: Request, _ context: Context) async throws -> Response {
        let id = try await workflowProject(context, may: .build)
        guard let text = context.parameters.get("approval"), let job = UUID(uuidString: text) else {
            throw APIError.badRequest("approval_request_id must be a UUID (the id of the approval job)")
        }
        let cause = AuditRequest.cause(request, context: context)
        return try answer(try await guarded {
            try await control.approve(workflow: id, job: job, by: actor(context), cause: cause)
        })
    }

    func cancelWorkflow(_ request: Request, _ context: Context) async throws -> Response {
        let id = try await workflowProject(context, may: .build)
        return try answer(try await guarded { try await control.cancel(workflow: id, by: actor(context)) })
    }

    func cancelJob(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .build)
        let number = try int(context, "number")
        return try answer(try await guarded { try await control.cancel(project: slug, job: number, by: actor(context)) })
    }

    struct RerunBody: Decodable {
        var from_failed: Bool?
        var jobs: [UUID]?
        var sparse_tree: Bool?
        var enable_ssh: Bool?
    }

    func rerunWorkflow(_ request: Request, _ context: Context) async throws -> Response {
        let id = try await workflowProject(context, may: .build)
        let body = try await body(RerunBody.self, request, allowEmpty: true)
        let fromFailed = body?.from_failed ?? false
        let jobs = body?.jobs ?? []
        if fromFailed && !jobs.isEmpty {
            throw APIError.badRequest("give either from_failed or jobs, not both")
        }
        if body?.sparse_tree == true {
            throw APIError.badRequest("sparse_tree reruns are not supported; rerun with sparse_tree false")
        }
        if body?.enable_ssh == true {
            throw APIError.badRequest("rerun with SSH is not supported")
        }
        let outcome = try await guarded { try await control.rerun(workflow: id, fromFailed: fromFailed, jobs: jobs) }
        switch outcome {
        case .created(let workflowId):
            relay.notify()
            struct Out: Encodable { var workflow_id: UUID }
            return JSONResponse.make(Out(workflow_id: workflowId), status: .accepted)
        case .notFound(let what):
            throw APIError.notFound(what)
        case .conflict(let message):
            throw APIError.badRequest(message)
        }
    }

    struct SettingsBody: Codable {
        struct Advanced: Codable {
            var autocancel_builds: Bool?
        }

        var advanced: Advanced?
    }

    static func settingsBody(_ settings: ProjectSettings) -> SettingsBody {
        SettingsBody(advanced: .init(autocancel_builds: settings.autocancelBuilds))
    }

    func getSettings(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        guard let settings = try await guarded({ try await control.settings(project: slug) }) else {
            throw APIError.notFound("project \(slug)")
        }
        return JSONResponse.make(Self.settingsBody(settings))
    }

    func patchSettings(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        guard let body = try await body(SettingsBody.self, request, allowEmpty: false) else {
            throw APIError.badRequest("request body is empty; send {\"advanced\": {\"autocancel_builds\": true}}")
        }
        guard var settings = try await guarded({ try await control.settings(project: slug) }) else {
            throw APIError.notFound("project \(slug)")
        }
        var change: ProjectSettingsChange?
        if let value = body.advanced?.autocancel_builds {
            settings.autocancelBuilds = value
            change = settingsChange(request, context, ["changed": ["advanced.autocancel_builds"],
                                                       "advanced": ["autocancel_builds": .bool(value)]])
        }
        guard let stored = try await guarded({ try await control.setSettings(project: slug, settings, change: change) }) else {
            throw APIError.notFound("project \(slug)")
        }
        return JSONResponse.make(Self.settingsBody(stored))
    }

    /// `GET project/{slug}/job/{n}/steps`: a parallel job's steps come once
    /// per run, sorted by step then node, each with its `node_index`.
    func getJobSteps(_ request: Request, _ context: Context) async throws -> Response {
        let (_, job) = try await job(context)
        let steps = try await guarded { try await store.nodeSteps(job: job) }
        // `?output=false`: the steps without their output (sizes only), for a job with large logs.
        let withOutput = request.uri.queryParameters.get("output") != "false"
        var items: [APIStep] = []
        for (run, step) in steps {
            let output = withOutput ? await output(job: run, step: step) : []
            var item = APIStep(step, output: String(decoding: output, as: UTF8.self))
            // A running step's size is recorded when it finishes: until then, what is stored so far.
            if step.status == .running {
                item.output_bytes = max(item.output_bytes, withOutput ? Int64(output.count)
                                        : logs.size(job: run.id, attempt: run.attempt, step: step.index))
            }
            items.append(item)
        }
        return JSONResponse.make(Page(items: items))
    }

    /// `GET project/{slug}/job/{n}/steps/{index}/output?node_index=N&offset=B` (node 0 by default; from byte B, for
    /// a reader that has the first B bytes already).
    func getNodeStepOutput(_ request: Request, _ context: Context) async throws -> Response {
        let (_, job) = try await job(context)
        let index = try int(context, "index")
        var node = 0
        if let text = request.uri.queryParameters.get("node_index") {
            guard let value = Int(text), value >= 0 else { throw APIError.badRequest("node_index must be a whole number") }
            node = value
        }
        var offset: UInt64 = 0
        if let text = request.uri.queryParameters.get("offset") {
            guard let value = UInt64(text) else { throw APIError.badRequest("offset must be a whole number of bytes") }
            offset = value
        }
        var limit = 64 << 20
        if let text = request.uri.queryParameters.get("limit") {
            guard let value = Int(text), value > 0, value <= limit else {
                throw APIError.badRequest("limit must be a number of bytes from 1 to \(limit)")
            }
            limit = value
        }
        let steps = try await guarded { try await store.nodeSteps(job: job) }
        guard let (run, step) = steps.first(where: { $0.step.index == index && $0.step.nodeIndex == node }) else {
            throw APIError.notFound("step \(index) on node \(node) of job \(job.number)")
        }
        if let term = request.uri.queryParameters.get("search") {
            return try await searchOutput(run: run, step: step, term: String(term))
        }
        let output = await output(job: run, step: step, offset: offset, limit: limit)
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: output)))
    }

    /// `...output?search=TERM`: the lines of the whole log that contain TERM (ASCII letters without case), at most
    /// 200, each with its byte offset (to fetch the text around it with `offset` and `limit`) and line number.
    func searchOutput(run: JobRecord, step: StepRecord, term: String) async throws -> Response {
        guard !term.isEmpty, term.utf8.count <= 200, !term.contains("\n") else {
            throw APIError.badRequest("search must be 1 to 200 bytes of text on one line")
        }
        var search = LogSearch(term: term)
        var offset: UInt64 = 0
        let chunk = 1 << 20
        while !search.isFull {
            let bytes = await output(job: run, step: step, offset: offset, limit: chunk)
            search.feed(bytes)
            offset += UInt64(bytes.count)
            if bytes.count < chunk { break }
        }
        search.finish()
        struct Match: Encodable { var offset: UInt64; var line: Int; var text: String }
        struct Body: Encodable { var items: [Match]; var truncated: Bool; var searched_bytes: UInt64 }
        return JSONResponse.make(Body(items: search.matches.map { Match(offset: $0.offset, line: $0.line,
                                                                         text: String(decoding: $0.text, as: UTF8.self)) },
                                      truncated: search.truncated, searched_bytes: offset))
    }
}

extension FrontendAPI {
    /// `GET project/{slug}/job/{n}`, with a parallel job's runs.
    func getJobDetails(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, job) = try await job(context)
        let runs = job.parallelism > 1 ? try await guarded { try await control.runs(job: job.id) } : []
        let waiting = job.status.isFinal || job.status == .running ? nil
            : try await guarded { try await store.waitReason(for: job) }
        return JSONResponse.make(APIJobDetails(job, slug: slug, runs: runs, waiting: waiting))
    }
}
