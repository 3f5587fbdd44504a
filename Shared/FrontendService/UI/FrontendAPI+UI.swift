import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// The web UI: sign-in, projects, a project's pipelines, a pipeline's
/// workflows as graphs (with Approve), and a job's steps with their logs
/// arriving live. Pages are rendered here from the same stores the API uses
/// and respect the same roles; a signed-out visitor is sent to `/login`.
extension FrontendAPI {
    func registerUI(on router: Router<Context>) {
        router.get("login") { request, context in loginPage(request, context, error: nil) }
        router.post("login") { request, context in try await loginForm(request, context) }
        router.get("logout") { request, context in try await logout(request, context) }
        router.get("assets/gyre.css") { _, _ in Assets.response(Assets.css, type: "text/css; charset=utf-8") }
        router.get("assets/gyre.js") { _, _ in Assets.response(Assets.script, type: "text/javascript; charset=utf-8") }
        router.get("/") { _, context in try await uiPage(context) { try await projectsPage(context) } }
        router.get("pipelines/:vcs/:org/:repo") { request, context in
            try await uiPage(context) { try await pipelinesPage(request, context) }
        }
        router.get("pipelines/:vcs/:org/:repo/:pipeline") { _, context in
            try await uiPage(context) { try await pipelinePage(context) }
        }
        router.get("pipelines/:vcs/:org/:repo/jobs/:number") { _, context in
            try await uiPage(context) { try await jobPage(context) }
        }
        registerSettingsUI(on: router)
        registerBadges(on: router)
    }

    /// Renders an API error as a page with its status and message.
    func uiPage(_ context: Context, _ render: () async throws -> Response) async throws -> Response {
        do {
            return try await render()
        } catch let error as APIError {
            return HTML.page(title: "Error", caller: context.caller,
                             body: "<h1>\(error.status.code)</h1><p class=\"error\" role=\"alert\">\(HTML.escape(error.message))</p>"
                                 + "<p><a href=\"/\">Back to the projects</a></p>", status: error.status)
        }
    }

    // MARK: sign-in

    func loginPage(_ request: Request, _ context: Context, error: String?, status: HTTPResponse.Status = .ok) -> Response {
        let next = Self.safeNext(request.uri.queryParameters.get("next").map { String($0) })
        let message = error.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0))</p>" } ?? ""
        return HTML.page(title: "Sign in", caller: nil, body: """
            <h1>Sign in to Gyre</h1>
            \(message)
            <form id="sign-in-form" class="sign-in" method="post" action="/login?next=\(HTML.component(next))">
              <label for="login">Login</label>
              <input id="login" name="login" autocomplete="username" required autofocus>
              <label for="password">Password</label>
              <input id="password" name="password" type="password" autocomplete="current-password" required>
              <p><button id="sign-in" type="submit">Sign in</button></p>
            </form>
            """, status: status)
    }

    /// Only paths on this site (never `//host` or a full URL) are followed after signing in.
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\") else { return "/" }
        return next
    }

    func loginForm(_ request: Request, _ context: Context) async throws -> Response {
        let body: SignInBody
        do {
            body = try await signInBody(request)
        } catch {
            return loginPage(request, context, error: "Give a login and a password.", status: .badRequest)
        }
        do {
            let (_, secret, _) = try await openSession(body, request: request, context: context)
            let next = Self.safeNext(request.uri.queryParameters.get("next").map { String($0) })
            return HTML.redirect(next, cookie: cookie(secret, maxAge: Int(Self.sessionLifetime)))
        } catch let throttled as SignInThrottled {
            return loginPage(request, context, error: throttled.message, status: .tooManyRequests)
        } catch let error as APIError {
            return loginPage(request, context, error: error.message, status: error.status)
        }
    }

    func logout(_ request: Request, _ context: Context) async throws -> Response {
        if let secret = AuthMiddleware.sessionSecret(request) {
            _ = try? await identity.deleteSession(idHash: IdentityStore.hash(secret),
                                                  request: AuditRequest.info(request, context: context))
        }
        return HTML.redirect("/login", cookie: cookie("", maxAge: 0))
    }

    // MARK: pages

    func projectsPage(_ context: Context) async throws -> Response {
        let projects = try await readableProjects(context)
        let rows = projects.map { project in
            "<li><a class=\"project\" href=\"/pipelines/\(project.slug.description)\">\(HTML.escape(project.slug.description))</a></li>"
        }.joined(separator: "\n")
        let body = projects.isEmpty
            ? "<h1>Projects</h1><p class=\"muted\">No projects you may see yet. Follow one with "
                + "<code>POST /api/v1.1/project/gh/{org}/{repo}/follow</code>.</p>"
            : "<h1>Projects</h1><ul class=\"projects\">\(rows)</ul>"
        return HTML.page(title: "Projects", caller: context.caller, body: body)
    }

    func pipelinesPage(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        let offset = try offset(request)
        let pipelines = try await guarded {
            try await store.pipelines(project: slug.description, offset: offset, limit: Self.pageSize + 1)
        }
        let shown = Array(pipelines.prefix(Self.pageSize))
        // One query for the page's workflows, not one per pipeline.
        let workflowsByPipeline = try await guarded { try await store.workflows(pipelines: shown.map(\.id)) }
        var rows: [String] = []
        for pipeline in shown {
            let workflows = workflowsByPipeline[pipeline.id] ?? []
            let status = Self.pipelineStatus(pipeline, workflows)
            let links = workflows.map { workflow in
                "<a class=\"workflow\" href=\"/pipelines/\(slug)/\(pipeline.number)#w-\(workflow.id.uuidString.lowercased())\">"
                    + "\(HTML.escape(workflow.name))</a> \(HTML.status(workflow.status.rawValue))"
            }.joined(separator: "<br>")
            rows.append("""
                <tr class="pipeline" data-number="\(pipeline.number)">
                  <td><a class="pipeline-link" href="/pipelines/\(slug)/\(pipeline.number)">#\(pipeline.number)</a></td>
                  <td class="status-cell">\(HTML.status(status))</td>
                  <td>\(HTML.escape(pipeline.tag.map { "tag \($0)" } ?? pipeline.branch ?? ""))</td>
                  <td>\(links)</td>
                  <td class="optional">\(HTML.escape(String((pipeline.revision ?? "").prefix(8))))</td>
                  <td class="optional">\(HTML.time(pipeline.createdAt))</td>
                </tr>
                """)
        }
        let more = pipelines.count > Self.pageSize
            ? "<p><a rel=\"next\" href=\"/pipelines/\(slug)?page-token=\(offset + Self.pageSize)\">Older pipelines</a></p>" : ""
        let table = rows.isEmpty ? "<p class=\"muted\">No pipelines yet.</p>" : """
            <table><caption class="muted">Newest first</caption>
            <thead><tr><th scope="col">Pipeline</th><th scope="col">Status</th><th scope="col">Branch</th>
            <th scope="col">Workflows</th><th scope="col" class="optional">Revision</th><th scope="col" class="optional">Created</th></tr></thead>
            <tbody>\(rows.joined(separator: "\n"))</tbody></table>
            """
        let trigger = """
            <form id="trigger-form" class="inline" data-url="/api/v2/project/\(slug)/pipeline">
              <label for="trigger-ref">Branch or tag</label>
              <select id="trigger-kind" aria-label="Branch or tag"><option value="branch">branch</option><option value="tag">tag</option></select>
              <input id="trigger-ref" name="ref" value="main" required>
              <label for="trigger-parameters">Parameters (JSON)</label>
              <input id="trigger-parameters" name="parameters" placeholder='{"deploy": true}'>
              <button id="trigger" type="submit">Trigger pipeline</button>
            </form>
            """
        return HTML.page(title: slug.description, caller: context.caller,
                         body: "<h1>\(HTML.escape(slug.description))</h1>"
                             + "<p><a id=\"project-settings\" href=\"/settings/project/\(slug)\">Project settings</a> · "
                             + "<a id=\"organization-settings\" href=\"/settings/organization/\(slug.organization)\">Organisation</a></p>"
                             + "\(trigger)\(table)\(more)", main: " data-refresh=\"1\"")
    }

    /// A pipeline's status as a list shows it: errored, setup, or its workflows' (the first not successful).
    static func pipelineStatus(_ pipeline: PipelineRecord, _ workflows: [WorkflowRecord]) -> String {
        if pipeline.state == .errored { return "errored" }
        if workflows.isEmpty { return pipeline.state.rawValue }
        return workflows.map(\.status.rawValue).first { $0 != "success" } ?? "success"
    }

    func pipelinePage(_ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        guard let number = context.parameters.get("pipeline").flatMap({ Int($0) }) else {
            throw APIError.badRequest("the pipeline number must be a whole number")
        }
        guard let pipeline = try await guarded({ try await store.pipeline(project: slug.description, number: number) }) else {
            throw APIError.notFound("pipeline \(number) of \(slug)")
        }
        let workflows = try await guarded { try await store.workflows(pipeline: pipeline.id) }
        var sections: [String] = []
        for workflow in workflows {
            let jobs = try await guarded { try await store.jobs(workflow: workflow.id) }
            sections.append(Self.workflowSection(workflow, jobs: jobs, slug: slug))
        }
        let errors = pipeline.errors.map { "<p class=\"error\" role=\"alert\">\(HTML.escape($0.message))</p>" }.joined()
        let body = """
            <h1><a href="/pipelines/\(slug)">\(HTML.escape(slug.description))</a> · pipeline #\(pipeline.number)</h1>
            <p>\(HTML.status(Self.pipelineStatus(pipeline, workflows))) \(HTML.escape(pipeline.tag.map { "tag \($0)" } ?? pipeline.branch ?? ""))
            <span class="muted">\(HTML.escape(String((pipeline.revision ?? "").prefix(12))))</span> \(HTML.time(pipeline.createdAt))</p>
            \(errors)
            \(sections.joined(separator: "\n"))
            """
        return HTML.page(title: "\(slug) #\(number)", caller: context.caller, body: body, main: " data-refresh=\"1\"")
    }

    /// A workflow as a graph: jobs in columns by their depth in `requires`.
    static func workflowSection(_ workflow: WorkflowRecord, jobs: [JobRecord], slug: ProjectSlug) -> String {
        var depth: [String: Int] = [:]
        func level(_ name: String, _ seen: Set<String> = []) -> Int {
            if let known = depth[name] { return known }
            guard let job = jobs.first(where: { $0.name == name }), !seen.contains(name) else { return 0 }
            let value = job.requires.map { level($0, seen.union([name])) + 1 }.max() ?? 0
            depth[name] = value
            return value
        }
        let columns = Dictionary(grouping: jobs) { level($0.name) }.sorted { $0.key < $1.key }
        let workflowId = workflow.id.uuidString.lowercased()
        let graph = columns.map { _, jobs in
            "<div class=\"column\">" + jobs.map { job in
                let approve = job.type == .approval && job.status == .onHold
                    ? "<button class=\"approve\" data-url=\"/api/v2/workflow/\(workflowId)/approve/\(job.id.uuidString.lowercased())\">"
                        + "Approve</button>" : ""
                let requires = job.requires.isEmpty ? ""
                    : "<div class=\"requires\">after \(HTML.escape(job.requires.joined(separator: ", ")))</div>"
                let name = job.type == .approval
                    ? "<span class=\"job-link\">\(HTML.escape(job.name))</span>"
                    : "<a class=\"job-link\" href=\"/pipelines/\(slug)/jobs/\(job.number)\">\(HTML.escape(job.name))</a>"
                return """
                    <div class="job" data-name="\(HTML.escape(job.name))" data-status="\(job.status.rawValue)">
                    \(name) \(HTML.status(job.status.rawValue)) \(approve)\(requires)</div>
                    """
            }.joined() + "</div>"
        }.joined()
        return """
            <section class="workflow" id="w-\(workflowId)" data-status="\(workflow.status.rawValue)" aria-label="workflow \(HTML.escape(workflow.name))">
            <h2>\(HTML.escape(workflow.name)) \(HTML.status(workflow.status.rawValue))</h2>
            <p class="actions">\(Self.workflowActions(workflow))</p>
            <div class="graph">\(graph)</div>
            </section>
            """
    }

    /// How much of a finished step's log the job page shows (its tail).
    static let pageLogBytes: Int64 = 256 << 10

    static func workflowActions(_ workflow: WorkflowRecord) -> String {
        let base = "/api/v2/workflow/\(workflow.id.uuidString.lowercased())"
        if !workflow.status.isFinal {
            return "<button class=\"action cancel\" data-url=\"\(base)/cancel\">Cancel workflow</button>"
        }
        var buttons = "<button class=\"action rerun\" data-url=\"\(base)/rerun\" data-body='{}'>Rerun all</button>"
        if workflow.status != .success {
            buttons += " <button class=\"action rerun-failed\" data-url=\"\(base)/rerun\" data-body='{\"from_failed\": true}'>"
                + "Rerun from failed</button>"
        }
        return buttons
    }

    func jobPage(_ context: Context) async throws -> Response {
        let (slug, job) = try await job(context)
        let steps = try await guarded { try await store.nodeSteps(job: job) }
        var boxes: [String] = []
        let api = "/api/v2/project/\(slug)/job/\(job.number)"
        for (run, step) in steps {
            let finished = step.status != .running
            // A long finished log shows its tail (the end is where the error is); the whole log is a link away.
            let start = finished && step.bytes > Self.pageLogBytes ? UInt64(step.bytes - Self.pageLogBytes) : 0
            let output = await output(job: run, step: step, offset: start)
            let skipped = start > 0
                ? "<p class=\"muted\">The first \(start) bytes are not shown: <a href=\"\(api)/steps/\(step.index)/output?node_index="
                    + "\(step.nodeIndex)\">the whole log</a>.</p>" : ""
            // Finished steps start collapsed (failed ones open); the page streams the rest.
            let open = !finished || step.status != .success ? " open" : ""
            let exit = step.exitCode.map { "exit \($0)" } ?? ""
            boxes.append("""
                <details class="step" data-key="\(step.nodeIndex):\(step.index)" data-index="\(step.index)" data-status="\(step.status.rawValue)"\(open)>
                <summary>\(HTML.status(step.status.rawValue))<span class="name">\(HTML.escape(step.name))</span>
                <span class="meta">\(exit) \(HTML.duration(from: step.startedAt, to: step.stoppedAt))\(job.parallelism > 1 ? " node \(step.nodeIndex)" : "")</span></summary>
                \(skipped)<pre class="log" tabindex="0" data-bytes="\(start + UInt64(output.count))">\(HTML.escape(String(decoding: output, as: UTF8.self)))</pre>
                </details>
                """)
        }
        let body = """
            <h1><a href="/pipelines/\(slug)">\(HTML.escape(slug.description))</a> · \(HTML.escape(job.name)) #\(job.number)</h1>
            <p>\(HTML.status(job.status.rawValue, id: "job-status")) <span class="muted">workflow \(HTML.escape(job.workflowName))</span>
            \(job.status.isFinal ? "" : "<button class=\"action cancel\" id=\"cancel-job\" data-url=\"\(api)/cancel\">Cancel job</button>")
            \(job.message.map { "<span class=\"muted\">\(HTML.escape($0))</span>" } ?? "")</p>
            <p class="inline"><label for="log-search">Find in the logs</label> <input id="log-search" type="search">
            <span id="log-matches" class="muted" aria-live="polite"></span></p>
            <div id="steps" aria-live="polite">\(boxes.joined(separator: "\n"))</div>
            """
        let live = job.status.isFinal ? "" : " data-live-job=\"\(api)\""
        return HTML.page(title: "\(job.name) #\(job.number)", caller: context.caller, body: body, main: live)
    }
}
