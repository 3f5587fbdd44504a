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
        router.get("pipelines/:vcs/:org") { request, context in
            try await uiPage(context) { try await organizationPipelinesPage(request, context) }
        }
        router.get("pipelines/:vcs/:org/:repo") { request, context in
            try await uiPage(context) { try await pipelinesPage(request, context) }
        }
        router.get("pipelines/:vcs/:org/:repo/:pipeline") { _, context in
            try await uiPage(context) { try await pipelinePage(context) }
        }
        router.get("pipelines/:vcs/:org/:repo/jobs/:number") { _, context in
            try await uiPage(context) { try await jobPage(context) }
        }
        // The live job socket's path, reached here only when the upgrade was not made: say why.
        router.get("ws/jobs/:vcs/:org/:repo/:number") { request, context -> Response in
            _ = try await job(context)
            throw LiveJobSocket.refusal(request, what: "the job's live WebSocket (?have=N.I.B,... names the bytes of each step the page shows)")
        }
        for path in ["ws/pages/:vcs/:org/:repo", "ws/pages/:vcs/:org/:repo/:number"] {
            router.get(RouterPath(path)) { request, context -> Response in
                _ = try await slug(context, may: .viewBuilds)
                throw LiveJobSocket.refusal(request, what: "the pipelines page's live WebSocket")
            }
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
            "<li><a class=\"project\" href=\"/pipelines/\(project.slug.description)\">\(HTML.escape(project.slug.description))</a>"
                + " <span class=\"muted\">in <a class=\"organization\" href=\"/pipelines/\(project.slug.organization)\">"
                + "\(HTML.escape(project.slug.organization))</a></span></li>"
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
        let branch = request.uri.queryParameters.get("branch").flatMap { $0.isEmpty ? nil : String($0) }
        let pipelines = try await guarded {
            try await store.pipelines(project: slug.description, branch: branch, offset: offset, limit: Self.pageSize + 1)
        }
        let shown = Array(pipelines.prefix(Self.pageSize))
        // One query for the page's workflows, not one per pipeline.
        let workflowsByPipeline = try await guarded { try await store.workflows(pipelines: shown.map(\.id)) }
        var rows: [String] = []
        for pipeline in shown {
            rows.append(pipelineRow(pipeline, workflows: workflowsByPipeline[pipeline.id] ?? [], project: nil))
        }
        // What the page shows, for its live socket to compare with (a change before it connects is not lost).
        let version = try await guarded {
            try await store.liveState(project: slug.description, branch: branch, offset: offset, limit: Self.pageSize).version
        }
        let filter = branch.map { "&branch=\(HTML.component($0))" } ?? ""
        let more = pipelines.count > Self.pageSize
            ? "<p><a rel=\"next\" href=\"/pipelines/\(slug)?page-token=\(offset + Self.pageSize)\(filter)\">Older pipelines</a></p>" : ""
        let table = rows.isEmpty ? "<p class=\"muted\">No pipelines\(branch.map { " on branch \(HTML.escape($0))" } ?? "") yet.</p>"
            : Self.pipelinesTable(rows, project: false)
        let branchForm = """
            <form class="inline" method="get" action="/pipelines/\(slug)" role="search">
              <label for="branch-filter">Branch</label>
              <input id="branch-filter" name="branch" value="\(HTML.escape(branch ?? ""))" placeholder="all branches">
              <button type="submit">Show</button>\(branch == nil ? "" : " <a href=\"/pipelines/\(slug)\">all branches</a>")
            </form>
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
                             + "<a id=\"insights\" href=\"/insights/\(slug)\">Insights</a> · "
                             + "<a id=\"organization-settings\" href=\"/settings/organization/\(slug.organization)\">Organisation</a></p>"
                             + "\(trigger)\(branchForm)\(table)\(more)",
                         main: " data-refresh=\"1\" data-live-socket=\"/ws/pages/\(slug)\" data-live-version=\"\(version)\"")
    }

    /// One pipeline as a row of a list (with its project's column on an organisation's list).
    func pipelineRow(_ pipeline: PipelineRecord, workflows: [WorkflowRecord], project: ProjectSlug?) -> String {
        let slug = ProjectSlug(pipeline.projectSlug).map(\.description) ?? pipeline.projectSlug
        let status = Self.pipelineStatus(pipeline, workflows)
        let links = workflows.map { workflow in
            "<a class=\"workflow-link\" href=\"/pipelines/\(slug)/\(pipeline.number)#w-\(workflow.id.uuidString.lowercased())\">"
                + "\(HTML.escape(workflow.name))</a> \(HTML.status(workflow.status.rawValue))"
        }.joined(separator: "<br>")
        let ref = pipeline.tag.map { HTML.escape("tag \($0)") }
            ?? pipeline.branch.map { "<a class=\"branch\" href=\"/pipelines/\(slug)?branch=\(HTML.component($0))\">\(HTML.escape($0))</a>" } ?? ""
        let projectCell = project == nil ? "" : "<td><a href=\"/pipelines/\(slug)\">\(HTML.escape(slug))</a></td>"
        return """
            <tr class="pipeline" data-number="\(pipeline.number)">\(projectCell)
              <td><a class="pipeline-link" href="/pipelines/\(slug)/\(pipeline.number)">#\(pipeline.number)</a></td>
              <td class="status-cell">\(HTML.status(status))</td>
              <td>\(ref)</td>
              <td>\(links)</td>
              <td class="optional">\(HTML.escape(String((pipeline.revision ?? "").prefix(8))))</td>
              <td class="optional">\(HTML.time(pipeline.createdAt))</td>
            </tr>
            """
    }

    static func pipelinesTable(_ rows: [String], project: Bool) -> String {
        """
        <table><caption class="muted">Newest first</caption>
        <thead><tr>\(project ? "<th scope=\"col\">Project</th>" : "")<th scope="col">Pipeline</th><th scope="col">Status</th><th scope="col">Branch</th>
        <th scope="col">Workflows</th><th scope="col" class="optional">Revision</th><th scope="col" class="optional">Created</th></tr></thead>
        <tbody>\(rows.joined(separator: "\n"))</tbody></table>
        """
    }

    /// An organisation's pipelines across its projects, newest first (its members see them).
    func organizationPipelinesPage(_ request: Request, _ context: Context) async throws -> Response {
        guard let vcs = context.parameters.get("vcs"), let org = context.parameters.get("org"),
              let probe = ProjectSlug(vcs: vcs, org: org, repo: "x") else {
            throw APIError.badRequest("an organisation looks like gh/{org}")
        }
        let organization = "\(probe.vcs)/\(probe.org)"
        try await authorizeOrganization(context, organization, manage: false)
        let offset = try offset(request)
        let pipelines = try await guarded {
            try await store.pipelines(organization: organization, offset: offset, limit: Self.pageSize + 1)
        }
        let shown = Array(pipelines.prefix(Self.pageSize))
        let workflowsByPipeline = try await guarded { try await store.workflows(pipelines: shown.map(\.id)) }
        let rows = shown.map { pipeline in
            pipelineRow(pipeline, workflows: workflowsByPipeline[pipeline.id] ?? [], project: ProjectSlug(pipeline.projectSlug))
        }
        let more = pipelines.count > Self.pageSize
            ? "<p><a rel=\"next\" href=\"/pipelines/\(organization)?page-token=\(offset + Self.pageSize)\">Older pipelines</a></p>" : ""
        let body = "<h1>\(HTML.escape(organization)) · pipelines</h1>"
            + "<p><a href=\"/settings/organization/\(organization)\">Organisation settings</a></p>"
            + (rows.isEmpty ? "<p class=\"muted\">No pipelines yet.</p>" : Self.pipelinesTable(rows, project: true)) + more
        return HTML.page(title: organization, caller: context.caller, body: body, main: " data-refresh=\"1\"")
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
        let version = try await guarded { try await store.liveState(project: slug.description, number: number).version }
        return HTML.page(title: "\(slug) #\(number)", caller: context.caller, body: body,
                         main: " data-refresh=\"1\" data-live-socket=\"/ws/pages/\(slug)/\(number)\" data-live-version=\"\(version)\"")
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
        let api = "/api/v2/project/\(slug)/job/\(job.number)"
        var nodes: [Int: [String]] = [:]
        for (run, step) in steps {
            nodes[step.nodeIndex, default: []].append(await stepBox(run: run, step: step, api: api))
        }
        // A parallel job's nodes side by side, each with its steps.
        let stepsHTML = job.parallelism > 1
            ? nodes.keys.sorted().map { node in
                "<section class=\"node\" data-node=\"\(node)\" aria-label=\"node \(node)\"><h2>Node \(node)</h2>"
                    + nodes[node, default: []].joined(separator: "\n") + "</section>"
            }.joined()
            : nodes[0, default: []].joined(separator: "\n")
        let (artifacts, tests) = try await jobFiles(slug: slug, job: job)
        let live = job.status.isFinal ? ""
            : " data-live-job=\"\(api)\" data-live-socket=\"/ws/jobs/\(slug)/\(job.number)\""
        let body = """
            <h1><a href="/pipelines/\(slug)">\(HTML.escape(slug.description))</a> · \(HTML.escape(job.name)) #\(job.number)</h1>
            <p>\(HTML.status(job.status.rawValue, id: "job-status")) <span class="muted">workflow \(HTML.escape(job.workflowName))</span>
            \(job.status.isFinal ? "" : "<button class=\"action cancel\" id=\"cancel-job\" data-url=\"\(api)/cancel\">Cancel job</button>")
            \(job.message.map { "<span class=\"muted\">\(HTML.escape($0))</span>" } ?? "")</p>
            <form class="inline" id="log-search-form" role="search" data-api="\(api)">
            <label for="log-search">Find in the logs</label> <input id="log-search" type="search">
            <button type="submit" id="log-search-all">Search whole logs</button>
            <span id="log-matches" class="muted" aria-live="polite"></span></form>
            <div id="search-results"></div>
            <div id="steps" class="\(job.parallelism > 1 ? "nodes" : "")" data-parallel="\(job.parallelism > 1 ? 1 : 0)">\(stepsHTML)</div>
            \(tests)\(artifacts)
            """
        return HTML.page(title: "\(job.name) #\(job.number)", caller: context.caller, body: body, main: live)
    }

    /// One step: collapsed when it succeeded, its log's last ``pageLogBytes`` shown (the end is where the error is),
    /// with a button that loads earlier output on demand.
    func stepBox(run: JobRecord, step: StepRecord, api: String) async -> String {
        let finished = step.status != .running
        let size = finished ? UInt64(max(step.bytes, 0))
            : UInt64(max(step.bytes, logs.size(job: run.id, attempt: run.attempt, step: step.index)))
        let start = size > UInt64(Self.pageLogBytes) ? size - UInt64(Self.pageLogBytes) : 0
        let output = await output(job: run, step: step, offset: start, limit: Int(Self.pageLogBytes))
        let whole = "\(api)/steps/\(step.index)/output?node_index=\(step.nodeIndex)"
        let earlier = """
            <p class="earlier-bar"\(start > 0 ? "" : " hidden")><button type="button" class="earlier">Load earlier output</button>
            <span class="muted earlier-note">\(start > 0 ? "\(start) earlier bytes not shown" : "")</span>
            · <a href="\(whole)">the whole log</a></p>
            """
        let open = !finished || step.status != .success ? " open" : ""
        let exit = step.exitCode.map { "exit \($0)" } ?? ""
        return """
            <details class="step" data-key="\(step.nodeIndex):\(step.index)" data-index="\(step.index)" data-node="\(step.nodeIndex)" data-status="\(step.status.rawValue)"\(open)>
            <summary>\(HTML.status(step.status.rawValue))<span class="name">\(HTML.escape(step.name))</span>
            <span class="meta">\(exit) \(HTML.duration(from: step.startedAt, to: step.stoppedAt))</span></summary>
            \(earlier)<pre class="log" tabindex="0" aria-label="output of \(HTML.escape(step.name))" data-output="\(whole)" data-start="\(start)" data-bytes="\(start + UInt64(output.count))">\(HTML.escape(String(decoding: output, as: UTF8.self)))</pre>
            </details>
            """
    }

    /// A job's test results (failed first, with their messages) and artifacts (links), as page sections.
    func jobFiles(slug: ProjectSlug, job: JobRecord) async throws -> (artifacts: String, tests: String) {
        let results = try await guarded { try await storage.tests(job: job.id) }
        let artifacts = try await guarded { try await storage.artifacts(job: job.id) }
        var tests = ""
        if !results.isEmpty {
            let failed = results.filter { $0.result == "failure" || $0.result == "error" }
            let order: [String: Int] = ["failure": 0, "error": 0, "skipped": 2]
            let rows = results.sorted { (order[$0.result] ?? 1, $0.classname, $0.name) < (order[$1.result] ?? 1, $1.classname, $1.name) }
                .prefix(500).map { test in
                    """
                    <tr class="test" data-result="\(HTML.escape(test.result))"><td>\(HTML.status(test.result == "failure" ? "failed" : test.result))</td>
                    <td>\(HTML.escape(test.classname))<br><strong>\(HTML.escape(test.name))</strong>\(test.message.map { "<pre class=\"message\">\(HTML.escape(String($0.prefix(4000))))</pre>" } ?? "")</td>
                    <td class="optional">\(String(format: "%.2fs", test.runTime))</td><td class="optional">\(test.node)</td></tr>
                    """
                }.joined()
            tests = """
                <section aria-labelledby="tests"><h2 id="tests">Tests <span class="muted">\(results.count) run, \(failed.count) failed</span></h2>
                <table><caption class="muted">Failed tests first</caption><thead><tr><th scope="col">Result</th><th scope="col">Test</th>
                <th scope="col" class="optional">Time</th><th scope="col" class="optional">Node</th></tr></thead><tbody>\(rows)</tbody></table></section>
                """
        }
        var files = ""
        if !artifacts.isEmpty {
            let base = Self.externalURL ?? ""
            let items = artifacts.prefix(1000).map { artifact in
                "<li><a class=\"artifact\" href=\"\(HTML.escape(Self.artifactURL(base: base, slug: slug, number: job.number, artifact)))\">"
                    + "\(HTML.escape(artifact.path))</a>\(job.parallelism > 1 ? " <span class=\"muted\">node \(artifact.node)</span>" : "")</li>"
            }.joined()
            files = "<section aria-labelledby=\"artifacts\"><h2 id=\"artifacts\">Artifacts</h2><ul class=\"artifacts\">\(items)</ul></section>"
        }
        return (files, tests)
    }
}
