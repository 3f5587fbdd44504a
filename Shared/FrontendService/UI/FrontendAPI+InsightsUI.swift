import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// The Insights pages: a project's workflows (runs, success rate, median and
/// 95th percentile duration, throughput, mean time to recovery) in a reporting
/// window, optionally on one branch, its flaky tests, and a workflow's jobs.
/// Same numbers as the Insights API (the same store and `RunMetrics`).
extension FrontendAPI {
    func registerInsightsUI(on router: Router<Context>) {
        router.get("insights/:vcs/:org/:repo") { request, context in
            try await uiPage(context) { try await insightsPage(request, context) }
        }
        router.get("insights/:vcs/:org/:repo/workflows/:workflow") { request, context in
            try await uiPage(context) { try await insightsWorkflowPage(request, context) }
        }
    }

    /// The reporting window and the branch (nil: all branches) a page shows.
    struct InsightsPageScope {
        var window: ReportingWindow
        var branch: String?

        init(_ request: Request) throws {
            let query = InsightsQuery(request)
            window = try query.reportingWindow()
            branch = query.text("branch")
            if let branch, !FrontendAPI.isSafeRef(branch) {
                throw APIError.badRequest("\"\(branch)\" is not a branch name")
            }
        }

        var caption: String {
            "\(window.label), " + (branch.map { "branch \($0)" } ?? "all branches")
        }

        var query: String {
            "reporting-window=\(window.rawValue)" + (branch.map { "&branch=\(HTML.component($0))" } ?? "")
        }

        /// The window selector and the branch field, as a GET form (works without the script).
        func form(action: String) -> String {
            let options = ReportingWindow.allCases.map { option in
                "<option value=\"\(option.rawValue)\"\(option == window ? " selected" : "")>\(HTML.escape(option.label))</option>"
            }.joined()
            return """
                <form id="insights-form" class="inline" method="get" action="\(HTML.escape(action))">
                  <label for="reporting-window">Reporting window</label>
                  <select id="reporting-window" name="reporting-window">\(options)</select>
                  <label for="insights-branch">Branch</label>
                  <input id="insights-branch" name="branch" value="\(HTML.escape(branch ?? ""))" placeholder="all branches">
                  <button id="insights-show" type="submit">Show</button>
                </form>
                """
        }
    }

    func insightsPage(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, _) = try await insightsProject(context)
        let scope = try InsightsPageScope(request)
        let now = Date()
        let interval = scope.window.interval(endingAt: now)
        let runs = try await guarded {
            try await insights.workflowRuns(projects: [slug.description], from: interval.start, to: interval.end,
                                            branch: scope.branch)
        }
        let rows = Dictionary(grouping: runs, by: \.name).sorted { $0.key < $1.key }.map { name, runs in
            let metrics = RunMetrics(runs.map(\.run), windowDays: scope.window.days)
            let link = "/insights/\(slug)/workflows/\(HTML.component(name))?\(scope.query)"
            return """
                <tr class="insights-workflow" data-name="\(HTML.escape(name))">
                  <th scope="row"><a href="\(HTML.escape(link))">\(HTML.escape(name))</a></th>
                  \(Self.metricCells(metrics))
                  <td class="num" data-mttr="\(metrics.meanTimeToRecovery.map(String.init) ?? "")">\(Self.seconds(metrics.meanTimeToRecovery))</td>
                </tr>
                """
        }
        let workflows = rows.isEmpty
            ? "<p class=\"muted\" id=\"no-workflows\">No workflow runs in this window.</p>"
            : """
                <table id="insights-workflows"><caption>Workflows: \(HTML.escape(scope.caption))</caption>
                <thead><tr><th scope="col">Workflow</th>\(Self.metricHeaders)<th scope="col" class="num">Mean time to recovery</th></tr></thead>
                <tbody>\(rows.joined(separator: "\n"))</tbody></table>
                """
        let executions = try await guarded {
            try await insights.testExecutions(project: slug.description, since: now.addingTimeInterval(-90 * 86_400))
        }
        let flaky = FlakyTest.find(in: executions, now: now)
        let flakyRows = flaky.map { test in
            """
            <tr class="flaky-test" data-test="\(HTML.escape(test.key.testName))">
              <th scope="row">\(HTML.escape(test.key.testName))</th>
              <td>\(HTML.escape(test.key.classname))</td>
              <td>\(HTML.escape(test.key.workflowName)) / \(HTML.escape(test.key.jobName))</td>
              <td class="num">\(test.timesFlaked)</td>
              <td><a href="/pipelines/\(slug)/jobs/\(test.latest.jobNumber)">job #\(test.latest.jobNumber)</a>
                  \(HTML.time(test.latest.workflowCreatedAt))</td>
            </tr>
            """
        }
        let flakyTable = flaky.isEmpty
            ? "<p class=\"muted\" id=\"no-flaky-tests\">No flaky tests: no test both passed and failed on the same revision.</p>"
            : """
                <table id="flaky-tests"><caption>Tests that passed and failed on the same revision (last two weeks' flakes)</caption>
                <thead><tr><th scope="col">Test</th><th scope="col">Class</th><th scope="col">Workflow / job</th>
                <th scope="col" class="num">Times flaked</th><th scope="col">Last flake</th></tr></thead>
                <tbody>\(flakyRows.joined(separator: "\n"))</tbody></table>
                """
        let body = """
            <h1><a href="/pipelines/\(slug)">\(HTML.escape(slug.description))</a> · Insights</h1>
            \(scope.form(action: "/insights/\(slug)"))
            <h2>Workflows</h2>
            \(workflows)
            <h2>Flaky tests</h2>
            \(flakyTable)
            <p class="muted">Success rate counts successful and failed runs (not canceled or running ones); durations are
            those of successful and failed runs; throughput is runs per day; credits are not tracked.</p>
            """
        return HTML.page(title: "Insights · \(slug)", caller: context.caller, body: body)
    }

    func insightsWorkflowPage(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, _) = try await insightsProject(context)
        let workflow = try await insightsWorkflow(context, slug)
        let scope = try InsightsPageScope(request)
        let interval = scope.window.interval(endingAt: Date())
        let (workflowRuns, jobRuns) = try await guarded {
            (try await insights.workflowRuns(projects: [slug.description], from: interval.start, to: interval.end,
                                             workflow: workflow, branch: scope.branch),
             try await insights.jobRuns(project: slug.description, workflow: workflow, from: interval.start, to: interval.end,
                                        branch: scope.branch))
        }
        let summary = RunMetrics(workflowRuns.map(\.run), windowDays: scope.window.days)
        let rows = Dictionary(grouping: jobRuns, by: \.name).sorted { $0.key < $1.key }.map { name, runs in
            """
            <tr class="insights-job" data-name="\(HTML.escape(name))">
              <th scope="row">\(HTML.escape(name))</th>
              \(Self.metricCells(RunMetrics(runs.map(\.run), windowDays: scope.window.days)))
            </tr>
            """
        }
        let jobs = rows.isEmpty ? "<p class=\"muted\" id=\"no-jobs\">No job runs in this window.</p>" : """
            <table id="insights-jobs"><caption>Jobs of \(HTML.escape(workflow)): \(HTML.escape(scope.caption))</caption>
            <thead><tr><th scope="col">Job</th>\(Self.metricHeaders)</tr></thead>
            <tbody>\(rows.joined(separator: "\n"))</tbody></table>
            """
        let body = """
            <h1><a href="/pipelines/\(slug)">\(HTML.escape(slug.description))</a> ·
            <a href="/insights/\(slug)?\(HTML.escape(scope.query))">Insights</a> · \(HTML.escape(workflow))</h1>
            \(scope.form(action: "/insights/\(slug)/workflows/\(HTML.component(workflow))"))
            <p id="workflow-summary">\(summary.totalRuns) runs, \(Self.percent(summary.successRate)) successful,
            median \(Self.seconds(summary.durations?.median)), 95th percentile \(Self.seconds(summary.durations?.p95)),
            mean time to recovery \(Self.seconds(summary.meanTimeToRecovery)).</p>
            <h2>Jobs</h2>
            \(jobs)
            """
        return HTML.page(title: "Insights · \(workflow)", caller: context.caller, body: body)
    }

    static let metricHeaders = """
        <th scope="col" class="num">Runs</th><th scope="col" class="num">Success rate</th>\
        <th scope="col" class="num">Median duration</th><th scope="col" class="num">P95 duration</th>\
        <th scope="col" class="num">Throughput (runs/day)</th>
        """

    static func metricCells(_ metrics: RunMetrics) -> String {
        """
        <td class="num" data-runs="\(metrics.totalRuns)">\(metrics.totalRuns)</td>
        <td class="num" data-success-rate="\(metrics.successRate)">\(percent(metrics.successRate))</td>
        <td class="num">\(seconds(metrics.durations?.median))</td>
        <td class="num">\(seconds(metrics.durations?.p95))</td>
        <td class="num">\(String(format: "%.2f", metrics.throughput))</td>
        """
    }

    static func percent(_ rate: Double) -> String { String(format: "%.0f%%", rate * 100) }

    /// Whole seconds for people: `42s`, `3m 05s`, `2h 01m`; a dash for none.
    static func seconds(_ value: Int?) -> String {
        guard let value else { return "<span class=\"muted\">–</span>" }
        if value < 60 { return "\(value)s" }
        if value < 3_600 { return String(format: "%dm %02ds", value / 60, value % 60) }
        return String(format: "%dh %02dm", value / 3_600, (value % 3_600) / 60)
    }
}
