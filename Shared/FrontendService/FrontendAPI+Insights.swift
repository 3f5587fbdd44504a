import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// API v2 Insights: metrics of a project's workflows, jobs and tests, and of an
/// organisation's projects, computed on request from the runs Gyre stored
/// (`InsightsStore` selects, `GyreModel`'s `RunMetrics`/`FlakyTest`/`TestMetrics` compute).
/// Credits are always 0: Gyre keeps no credit ledger.
extension FrontendAPI {
    func registerInsights(on router: Router<Context>) {
        let insights = router.group("api/v2/insights")
        insights.get("pages/:vcs/:org/:repo/summary") { request, context in try await insightsPageSummary(request, context) }
        insights.get("time-series/:vcs/:org/:repo/workflows/:workflow/jobs") { request, context in
            try await insightsJobTimeseries(request, context)
        }
        insights.get(":vcs/:org/summary") { request, context in try await insightsOrganizationSummary(request, context) }
        insights.get(":vcs/:org/:repo/branches") { request, context in try await insightsBranches(request, context) }
        insights.get(":vcs/:org/:repo/flaky-tests") { _, context in try await insightsFlakyTests(context) }
        insights.get(":vcs/:org/:repo/workflows") { request, context in try await insightsWorkflows(request, context) }
        insights.get(":vcs/:org/:repo/workflows/:workflow") { request, context in try await insightsWorkflowRuns(request, context) }
        insights.get(":vcs/:org/:repo/workflows/:workflow/jobs") { request, context in try await insightsWorkflowJobs(request, context) }
        insights.get(":vcs/:org/:repo/workflows/:workflow/summary") { request, context in
            try await insightsWorkflowSummary(request, context)
        }
        insights.get(":vcs/:org/:repo/workflows/:workflow/test-metrics") { request, context in
            try await insightsTestMetrics(request, context)
        }
        registerInsightsUI(on: router)
    }

    var insights: InsightsStore { InsightsStore(database: store.database) }

    // MARK: project and workflows

    /// `GET /insights/{project-slug}/workflows`: each workflow's metrics in the reporting window.
    func insightsWorkflows(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, project) = try await insightsProject(context)
        let query = InsightsQuery(request)
        let window = try query.reportingWindow()
        let branch = try query.branchScope()
        let offset = try offset(request)
        let interval = window.interval(endingAt: Date())
        let runs = try await guarded {
            try await insights.workflowRuns(projects: [slug.description], from: interval.start, to: interval.end, branch: branch)
        }
        let items = Dictionary(grouping: runs, by: \.name).sorted { $0.key < $1.key }.map { name, runs in
            let metrics = RunMetrics(runs.map(\.run), windowDays: window.days)
            return InsightsAPI.WorkflowItem(
                name: name,
                metrics: .init(metrics),
                window_start: metrics.firstRunAt ?? interval.start, window_end: metrics.lastRunAt ?? interval.end,
                project_id: Self.projectId(project))
        }
        return Self.insightsPage(items, offset: offset)
    }

    /// `GET /insights/{project-slug}/workflows/{workflow-name}`: the workflow's runs, newest first.
    func insightsWorkflowRuns(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, _) = try await insightsProject(context)
        let workflow = try await insightsWorkflow(context, slug)
        let query = InsightsQuery(request)
        let branch = try query.branchScope()
        let interval = try query.dateRange(defaultSpan: ReportingWindow.last90Days.days * 86_400)
        let offset = try offset(request)
        let runs = try await guarded {
            try await insights.workflowRuns(projects: [slug.description], from: interval.start, to: interval.end,
                                            workflow: workflow, branch: branch)
        }
        let items = runs.map { run in
            InsightsAPI.WorkflowRun(id: run.id, branch: run.branch ?? "", duration: run.stoppedAt.map {
                                        Int($0.timeIntervalSince(run.createdAt).rounded()) },
                                    created_at: run.createdAt, stopped_at: run.stoppedAt, credits_used: 0,
                                    status: run.status.insightsStatus, is_approval: run.hasApproval)
        }
        return Self.insightsPage(items, offset: offset)
    }

    /// `GET /insights/{project-slug}/workflows/{workflow-name}/jobs`: each job's metrics in the reporting window.
    func insightsWorkflowJobs(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, _) = try await insightsProject(context)
        let workflow = try await insightsWorkflow(context, slug)
        let query = InsightsQuery(request)
        let window = try query.reportingWindow()
        let branch = try query.branchScope()
        let jobName = query.text("job-name")
        let offset = try offset(request)
        let interval = window.interval(endingAt: Date())
        let runs = try await guarded {
            try await insights.jobRuns(project: slug.description, workflow: workflow, from: interval.start, to: interval.end,
                                       branch: branch)
        }
        let items = Dictionary(grouping: runs.filter { jobName == nil || $0.name == jobName }, by: \.name)
            .sorted { $0.key < $1.key }.map { name, runs in
                let metrics = RunMetrics(runs.map(\.run), windowDays: window.days)
                return InsightsAPI.JobItem(name: name, metrics: .init(metrics),
                                           window_start: metrics.firstRunAt ?? interval.start,
                                           window_end: metrics.lastRunAt ?? interval.end)
            }
        return Self.insightsPage(items, offset: offset)
    }

    /// `GET /insights/{project-slug}/workflows/{workflow-name}/summary`: metrics over the last 90 days and
    /// trends against the 90 days before.
    func insightsWorkflowSummary(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, _) = try await insightsProject(context)
        let workflow = try await insightsWorkflow(context, slug)
        let query = InsightsQuery(request)
        let window = try query.reportingWindow()
        let branch = try query.branchScope()
        let now = Date()
        let (current, previous) = try await windows(window, now: now) { interval in
            try await insights.workflowRuns(projects: [slug.description], from: interval.start, to: interval.end,
                                            workflow: workflow, branch: branch)
        }
        let interval = window.interval(endingAt: now)
        let metrics = RunMetrics(current.map(\.run), windowDays: window.days)
        let before = RunMetrics(previous.map(\.run), windowDays: window.days)
        let names = try await guarded { try await insights.workflowNames(project: slug.description) }
        return JSONResponse.make(InsightsAPI.WorkflowSummary(
            metrics: .init(metrics, windowStart: metrics.firstRunAt ?? interval.start, windowEnd: metrics.lastRunAt ?? interval.end),
            trends: .init(metrics, previous: before), workflow_names: names))
    }

    /// `GET /insights/{project-slug}/workflows/{workflow-name}/test-metrics`: tests of the workflow's 10 most recent runs.
    func insightsTestMetrics(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, _) = try await insightsProject(context)
        let workflow = try await insightsWorkflow(context, slug)
        let branch = try InsightsQuery(request).branchScope()
        let ids = try await guarded {
            try await insights.recentWorkflowRuns(project: slug.description, workflow: workflow, branch: branch, limit: 10)
        }
        let executions = ids.isEmpty ? [] : try await guarded {
            try await insights.testExecutions(project: slug.description, since: .distantPast, workflows: ids)
        }
        let metrics = TestMetrics(executions, workflowRuns: ids.count)
        return JSONResponse.make(InsightsAPI.TestMetricsBody(metrics))
    }

    /// `GET /insights/{project-slug}/flaky-tests`: tests that passed and failed on the same revision (any branch).
    func insightsFlakyTests(_ context: Context) async throws -> Response {
        let (slug, _) = try await insightsProject(context)
        let now = Date()
        let executions = try await guarded {
            try await insights.testExecutions(project: slug.description, since: now.addingTimeInterval(-90 * 86_400))
        }
        let flaky = FlakyTest.find(in: executions, now: now)
        return JSONResponse.make(InsightsAPI.FlakyTests(flakyTests: flaky.map(InsightsAPI.FlakyTestItem.init),
                                                        totalFlakyTests: Double(flaky.count)))
    }

    /// `GET /insights/{project-slug}/branches`: the branches the project's workflows (or one workflow) ran on.
    func insightsBranches(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, project) = try await insightsProject(context)
        let workflow = InsightsQuery(request).text("workflow-name")
        let branches = try await guarded { try await insights.branches(project: slug.description, workflow: workflow) }
        return JSONResponse.make(InsightsAPI.Branches(org_id: Self.organizationId(project), project_id: Self.projectId(project),
                                                      branches: branches))
    }

    /// `GET /insights/pages/{project-slug}/summary`: the project's metrics and trends, per workflow and per
    /// workflow and branch (optionally only the named `workflow-names` and `branches`).
    func insightsPageSummary(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, project) = try await insightsProject(context)
        let query = InsightsQuery(request)
        let window = try query.reportingWindow()
        let onlyBranches = query.list("branches")
        let onlyWorkflows = query.list("workflow-names")
        let (current, previous) = try await windows(window, now: Date()) { interval in
            try await insights.workflowRuns(projects: [slug.description], from: interval.start, to: interval.end)
        }
        func summary(_ pick: (InsightsStore.WorkflowRun) -> Bool) -> (RunMetrics, RunMetrics) {
            (RunMetrics(current.filter(pick).map(\.run), windowDays: window.days),
             RunMetrics(previous.filter(pick).map(\.run), windowDays: window.days))
        }
        let workflowNames = Set(current.map(\.name)).filter { onlyWorkflows.isEmpty || onlyWorkflows.contains($0) }.sorted()
        let pairs = Set(current.map { InsightsAPI.Pair(workflow: $0.name, branch: $0.branch ?? "") })
            .filter { workflowNames.contains($0.workflow) && (onlyBranches.isEmpty || onlyBranches.contains($0.branch)) }
            .sorted { ($0.workflow, $0.branch) < ($1.workflow, $1.branch) }
        let (all, allBefore) = summary { _ in true }
        let body = InsightsAPI.PageSummary(
            org_id: Self.organizationId(project), project_id: Self.projectId(project),
            project_data: .init(metrics: .init(all), trends: .init(all, previous: allBefore)),
            project_workflow_data: workflowNames.map { name in
                let (now, before) = summary { $0.name == name }
                return InsightsAPI.WorkflowData(workflow_name: name, metrics: .init(now), trends: .init(now, previous: before))
            },
            project_workflow_branch_data: pairs.map { pair in
                let (now, before) = summary { $0.name == pair.workflow && ($0.branch ?? "") == pair.branch }
                return InsightsAPI.WorkflowBranchData(workflow_name: pair.workflow, branch: pair.branch, metrics: .init(now),
                             trends: .init(now, previous: before))
            },
            all_branches: Set(current.compactMap(\.branch)).sorted(), all_workflows: Set(current.map(\.name)).sorted())
        return JSONResponse.make(body)
    }

    /// `GET /insights/time-series/{project-slug}/workflows/{workflow-name}/jobs`: the workflow's jobs per day or hour.
    func insightsJobTimeseries(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, _) = try await insightsProject(context)
        let workflow = try await insightsWorkflow(context, slug)
        let query = InsightsQuery(request)
        let granularity = try query.granularity()
        let branch = try query.branchScope()
        // Hourly data covers 48 hours and daily data 90 days, as CircleCI keeps them.
        let interval = try query.dateRange(defaultSpan: granularity == .hourly ? 48 * 3_600 : 90 * 86_400)
        let runs = try await guarded {
            try await insights.jobRuns(project: slug.description, workflow: workflow, from: interval.start, to: interval.end,
                                       branch: branch)
        }
        let points = TimeseriesPoint.series(runs.map { (name: $0.name, run: $0.run) }, granularity: granularity)
        return JSONResponse.make(Page(items: points.map(InsightsAPI.TimeseriesItem.init), next_page_token: nil))
    }

    // MARK: organisation

    /// `GET /insights/{org-slug}/summary`: the organisation's metrics and trends, and each project's.
    func insightsOrganizationSummary(_ request: Request, _ context: Context) async throws -> Response {
        guard let vcs = context.parameters.get("vcs"), let org = context.parameters.get("org"),
              let parsed = ProjectSlug(vcs: vcs, org: org, repo: "x") else {
            throw APIError.badRequest("org-slug must look like gh/{org} (or github/, bb/, bitbucket/)")
        }
        let organization = "\(parsed.vcs)/\(parsed.org)"
        guard try await guarded({ try await RoleStore(database: store.database).organization(slug: organization) }) != nil else {
            throw APIError.notFound("organisation \(organization)")
        }
        try await authorizeOrganization(context, organization, manage: false)
        let query = InsightsQuery(request)
        let window = try query.reportingWindow()
        let onlyProjects = query.list("project-names")
        let slugs = try await guarded { try await insights.projects(organization: organization) }
        let (current, previous) = try await windows(window, now: Date()) { interval in
            try await insights.workflowRuns(projects: slugs, from: interval.start, to: interval.end)
        }
        func name(_ slug: String) -> String { String(slug.split(separator: "/").last ?? "") }
        func summary(_ pick: (InsightsStore.WorkflowRun) -> Bool) -> (RunMetrics, RunMetrics) {
            (RunMetrics(current.filter(pick).map(\.run), windowDays: window.days),
             RunMetrics(previous.filter(pick).map(\.run), windowDays: window.days))
        }
        let (all, allBefore) = summary { _ in true }
        let projects = slugs.filter { onlyProjects.isEmpty || onlyProjects.contains(name($0)) }.map { slug in
            let (now, before) = summary { $0.projectSlug == slug }
            return InsightsAPI.ProjectData(project_name: name(slug), metrics: .init(now), trends: .init(now, previous: before))
        }
        return JSONResponse.make(InsightsAPI.OrganizationSummary(
            org_data: .init(metrics: .init(all), trends: .init(all, previous: allBefore)),
            org_project_data: projects, all_projects: slugs.map(name)))
    }

    // MARK: helpers

    /// The route's project, once the caller may read its builds (403), and its record (404 when not followed).
    func insightsProject(_ context: Context) async throws -> (ProjectSlug, ProjectRecord) {
        let slug = try await slug(context, may: .viewBuilds)
        guard let project = try await guarded({ try await store.project(slug) }) else { throw APIError.notFound("project \(slug)") }
        return (slug, project)
    }

    /// The route's workflow name (percent-decoded); 404 when the project never ran a workflow of that name.
    func insightsWorkflow(_ context: Context, _ slug: ProjectSlug) async throws -> String {
        guard let raw = context.parameters.get("workflow"), let name = raw.removingPercentEncoding, !name.isEmpty else {
            throw APIError.badRequest("the workflow name is missing or not percent-encoded correctly")
        }
        let names = try await guarded { try await insights.workflowNames(project: slug.description) }
        guard names.contains(name) else {
            throw APIError.notFound("workflow \"\(name)\" in project \(slug) (it has: \(names.joined(separator: ", ")))")
        }
        return name
    }

    /// Runs of the reporting window and of the window before it (for trends).
    func windows<Row: Sendable>(_ window: ReportingWindow, now: Date,
                                _ load: (DateInterval) async throws -> [Row]) async throws -> ([Row], [Row]) {
        let current = try await guarded { try await load(window.interval(endingAt: now)) }
        let previous = try await guarded { try await load(window.previousInterval(endingAt: now)) }
        return (current, previous)
    }

    static func insightsPage<Item: Encodable>(_ items: [Item], offset: Int) -> Response {
        let page = Array(items.dropFirst(offset).prefix(pageSize))
        let more = items.count > offset + pageSize
        return JSONResponse.make(Page(items: page, next_page_token: more ? String(offset + pageSize) : nil))
    }

    static func projectId(_ project: ProjectRecord) -> String {
        (project.id ?? SystemActor.id).uuidString.lowercased()
    }

    static func organizationId(_ project: ProjectRecord) -> String {
        (project.organizationId ?? SystemActor.id).uuidString.lowercased()
    }
}
