import Foundation
import GyreLocal
import Testing

/// Insights end to end: real pipelines (passing and failing jobs, JUnit results where one test passes on one
/// run and fails on another of the same revision), then every Insights call's numbers and shapes (checked
/// against the API document's response schemas), its 400s and 404s, and the web UI's Insights pages.
extension EndToEnd {
@Suite struct InsightsTests {
    static let config = """
        version: 2.1
        parameters:
          flip:
            type: boolean
            default: false
        jobs:
          build:
        \(hostJob("sleep 1"))
          test:
            machine: true
            resource_class: gyre/host
            steps:
              - checkout
              - run: mkdir -p results/pytest && cp junit-<< pipeline.parameters.flip >>.xml results/pytest/results.xml
              - store_test_results:
                  path: results
              - run: test "<< pipeline.parameters.flip >>" = false
        workflows:
          main:
            jobs:
              - build
              - test:
                  requires: [build]
        """

    static func junit(flipsFails: Bool) -> String {
        let flips = flipsFails
            ? #"<testcase classname="calc.Flips" name="flips" time="0.5" file="tests/flips.py"><failure message="boom">x</failure></testcase>"#
            : #"<testcase classname="calc.Flips" name="flips" time="0.25" file="tests/flips.py"/>"#
        return """
            <testsuite name="calc" tests="2">
              \(flips)
              <testcase classname="calc.Steady" name="steady" time="2" file="tests/steady.py"/>
            </testsuite>
            """
    }

    /// Status and parsed JSON of a GET below the API base.
    static func get(_ system: SystemFixture, _ path: String, probe: HTTPProbe? = nil) async throws -> (Int, Any) {
        let url = try #require(URL(string: system.system.apiURL.absoluteString + path))
        let (code, body) = await (probe ?? system.http).get(url, timeout: 30)
        let json = (try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])) ?? body
        return (code, json)
    }

    /// A 200 whose body matches the API document's schema for `template`.
    static func valid(_ system: SystemFixture, _ path: String, template: String) async throws -> [String: Any] {
        let (code, json) = try await get(system, path)
        #expect(code == 200, "\(path): \(json)")
        let schema = try #require(try Self.schemas()[template] as? [String: Any], "no schema for \(template)")
        let problems = SchemaCheck.problems(json, schema: schema, at: "$")
        #expect(problems.isEmpty, "\(path): \(problems.joined(separator: "; "))")
        return try #require(json as? [String: Any], "\(path): \(json)")
    }

    static func schemas() throws -> [String: Any] {
        let path = "\(SystemFixture.repoRoot)/Tests/Fixtures/insights/response-schemas.json"
        return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
    }

    static func message(_ system: SystemFixture, _ path: String, probe: HTTPProbe? = nil) async throws -> (Int, String) {
        let (code, json) = try await get(system, path, probe: probe)
        return (code, ((json as? [String: Any])?["message"] as? String) ?? "")
    }

    @Test func insightsReportRunsDurationsRecoveryAndFlakyTests() async throws {
        let system = try fixture
        let slug = try await system.project("insights", config: Self.config, files: [
            "junit-false.xml": Self.junit(flipsFails: false), "junit-true.xml": Self.junit(flipsFails: true)])
        // main: pass, fail (the flaky test fails), pass; topic: pass. All on the same revision.
        try SystemFixture.shell(["git", "-C", "\(system.runDirectory)/repos/acme/insights.git", "branch", "topic", "main"])
        var outcomes: [String] = []
        for (branch, flip) in [("main", false), ("main", true), ("main", false), ("topic", false)] {
            let created = try await system.client.trigger(slug, branch: branch, parameters: ["flip": flip])
            outcomes.append(try await system.client.wait(for: created.id).status)
        }
        #expect(outcomes == ["success", "failed", "success", "success"])
        let failedPipeline = try #require(try system.sql("""
            SELECT number FROM pipelines WHERE project_slug = '\(slug)' ORDER BY number LIMIT 1 OFFSET 1
            """).first.flatMap { Int($0) })
        let failedTestJob = try #require(try system.sql("""
            SELECT j.number FROM jobs j JOIN pipelines p ON p.id = j.pipeline_id
            WHERE p.project_slug = '\(slug)' AND p.number = \(failedPipeline) AND j.name = 'test'
            """).first.flatMap { Int($0) })
        let base = "/api/v2/insights/\(slug)"

        // Workflows: the default branch (main) unless told otherwise.
        let workflows = try await Self.valid(system, "\(base)/workflows", template: "/insights/{project-slug}/workflows")
        let items = try #require(workflows["items"] as? [[String: Any]])
        #expect(items.map { $0["name"] as? String } == ["main"])
        #expect(workflows.keys.contains("next_page_token") && workflows["next_page_token"] is NSNull)
        let metrics = try #require(items.first?["metrics"] as? [String: Any])
        #expect(metrics["total_runs"] as? Int == 3 && metrics["successful_runs"] as? Int == 2 && metrics["failed_runs"] as? Int == 1)
        #expect(abs((metrics["success_rate"] as? Double ?? 0) - 2.0 / 3.0) < 1e-6)
        #expect(metrics["total_recoveries"] as? Int == 1 && (metrics["mttr"] as? Int ?? -1) >= 0, "\(metrics)")
        #expect(metrics["total_credits_used"] as? Int == 0)
        #expect(abs((metrics["throughput"] as? Double ?? 0) - 3.0 / 90.0) < 1e-6)
        let durations = try #require(metrics["duration_metrics"] as? [String: Any])
        let (minimum, median, p95, maximum) = (durations["min"] as? Int ?? -1, durations["median"] as? Int ?? -1,
                                               durations["p95"] as? Int ?? -1, durations["max"] as? Int ?? -1)
        #expect(minimum >= 1 && minimum <= median && median <= p95 && p95 <= maximum, "\(durations)")
        let (_, projectJSON) = try await Self.get(system, "/api/v2/project/\(slug)")
        let projectId = try #require((projectJSON as? [String: Any])?["id"] as? String)
        #expect(items.first?["project_id"] as? String == projectId && projectId == projectId.lowercased())
        let all = try await Self.valid(system, "\(base)/workflows?all-branches=true&reporting-window=last-7-days",
                                       template: "/insights/{project-slug}/workflows")
        let allMetrics = (all["items"] as? [[String: Any]])?.first?["metrics"] as? [String: Any]
        #expect(allMetrics?["total_runs"] as? Int == 4 && allMetrics?["successful_runs"] as? Int == 3)
        let topic = try await Self.valid(system, "\(base)/workflows?branch=topic", template: "/insights/{project-slug}/workflows")
        #expect(((topic["items"] as? [[String: Any]])?.first?["metrics"] as? [String: Any])?["total_runs"] as? Int == 1)

        // The runs of the workflow, newest first.
        let runs = try await Self.valid(system, "\(base)/workflows/main", template: "/insights/{project-slug}/workflows/{workflow-name}")
        let runItems = try #require(runs["items"] as? [[String: Any]])
        #expect(runItems.map { $0["status"] as? String } == ["success", "failed", "success"])
        #expect(runItems.allSatisfy { $0["branch"] as? String == "main" && $0["is_approval"] as? Bool == false
                                      && ($0["duration"] as? Int ?? -1) >= 1 })
        let allRuns = try await Self.valid(system, "\(base)/workflows/main?all-branches=true&start-date=2020-01-01T00:00:00Z"
                                           + "&end-date=2020-03-01T00:00:00Z",
                                           template: "/insights/{project-slug}/workflows/{workflow-name}")
        #expect((allRuns["items"] as? [Any])?.isEmpty == true)
        let allRecent = try await Self.valid(system, "\(base)/workflows/main?all-branches=true",
                                             template: "/insights/{project-slug}/workflows/{workflow-name}")
        #expect((allRecent["items"] as? [Any])?.count == 4)

        // Jobs of the workflow.
        let jobs = try await Self.valid(system, "\(base)/workflows/main/jobs",
                                        template: "/insights/{project-slug}/workflows/{workflow-name}/jobs")
        let jobItems = try #require(jobs["items"] as? [[String: Any]])
        #expect(jobItems.map { $0["name"] as? String } == ["build", "test"])
        let testMetrics = try #require(jobItems.last?["metrics"] as? [String: Any])
        #expect(testMetrics["total_runs"] as? Int == 3 && testMetrics["failed_runs"] as? Int == 1
                && testMetrics["successful_runs"] as? Int == 2)
        let buildDurations = (jobItems.first?["metrics"] as? [String: Any])?["duration_metrics"] as? [String: Any]
        #expect((buildDurations?["min"] as? Int ?? 0) >= 1, "sleep 1 takes at least a second: \(String(describing: buildDurations))")
        let onlyTest = try await Self.valid(system, "\(base)/workflows/main/jobs?job-name=test",
                                            template: "/insights/{project-slug}/workflows/{workflow-name}/jobs")
        #expect((onlyTest["items"] as? [[String: Any]])?.map { $0["name"] as? String } == ["test"])

        // The workflow's summary with trends (nothing ran in the window before: trends are 0).
        let summary = try await Self.valid(system, "\(base)/workflows/main/summary",
                                           template: "/insights/{project-slug}/workflows/{workflow-name}/summary")
        let summaryMetrics = try #require(summary["metrics"] as? [String: Any])
        #expect(summaryMetrics["total_runs"] as? Int == 3 && summaryMetrics["completed_runs"] as? Int == 3)
        #expect(summary["workflow_names"] as? [String] == ["main"])
        #expect((summary["trends"] as? [String: Any])?["total_runs"] as? Double == 0)

        // Test metrics of the recent runs: the flaky test failed once in three runs.
        let tests = try await Self.valid(system, "\(base)/workflows/main/test-metrics",
                                         template: "/insights/{project-slug}/workflows/{workflow-name}/test-metrics")
        #expect(tests["total_test_runs"] as? Int == 6 && tests["average_test_count"] as? Int == 2)
        let mostFailed = try #require(tests["most_failed_tests"] as? [[String: Any]])
        #expect(mostFailed.map { $0["test_name"] as? String } == ["flips"])
        #expect(mostFailed.first?["failed_runs"] as? Int == 1 && mostFailed.first?["total_runs"] as? Int == 3
                && mostFailed.first?["flaky"] as? Bool == true && mostFailed.first?["source"] as? String == "pytest"
                && mostFailed.first?["job_name"] as? String == "test" && mostFailed.first?["classname"] as? String == "calc.Flips")
        #expect((tests["slowest_tests"] as? [[String: Any]])?.first?["test_name"] as? String == "steady")
        let testRuns = try #require(tests["test_runs"] as? [[String: Any]])
        #expect(testRuns.count == 3)
        let failedRun = try #require(testRuns.first { $0["pipeline_number"] as? Int == failedPipeline })
        #expect((failedRun["test_counts"] as? [String: Any])?["failure"] as? Int == 1 && failedRun["success_rate"] as? Double == 0.5)

        // Flaky tests: passed and failed on the same revision.
        let flaky = try await Self.valid(system, "\(base)/flaky-tests", template: "/insights/{project-slug}/flaky-tests")
        #expect(flaky["total-flaky-tests"] as? Double == 1)
        let flake = try #require((flaky["flaky-tests"] as? [[String: Any]])?.first)
        #expect(flake["test-name"] as? String == "flips" && flake["times-flaked"] as? Int == 1 && flake["job-name"] as? String == "test"
                && flake["workflow-name"] as? String == "main" && flake["pipeline-number"] as? Int == failedPipeline
                && flake["job-number"] as? Int == failedTestJob && flake["file"] as? String == "tests/flips.py", "\(flake)")

        // Branches, the page summary, the time series, the organisation.
        let branches = try await Self.valid(system, "\(base)/branches", template: "/insights/{project-slug}/branches")
        #expect(branches["branches"] as? [String] == ["main", "topic"])
        let page = try await Self.valid(system, "/api/v2/insights/pages/\(slug)/summary?reporting-window=last-30-days",
                                        template: "/insights/pages/{project-slug}/summary")
        #expect(((page["project_data"] as? [String: Any])?["metrics"] as? [String: Any])?["total_runs"] as? Int == 4)
        #expect(page["all_branches"] as? [String] == ["main", "topic"] && page["all_workflows"] as? [String] == ["main"])
        let pairs = (page["project_workflow_branch_data"] as? [[String: Any]] ?? []).map {
            "\($0["workflow_name"] as? String ?? "")@\($0["branch"] as? String ?? ""):\(($0["metrics"] as? [String: Any])?["total_runs"] as? Int ?? -1)"
        }
        #expect(pairs == ["main@main:3", "main@topic:1"])
        let onlyTopic = try await Self.valid(system, "/api/v2/insights/pages/\(slug)/summary?branches=topic",
                                             template: "/insights/pages/{project-slug}/summary")
        #expect((onlyTopic["project_workflow_branch_data"] as? [Any])?.count == 1)

        for granularity in ["daily", "hourly"] {
            let series = try await Self.valid(system, "/api/v2/insights/time-series/\(slug)/workflows/main/jobs?granularity=\(granularity)",
                                              template: "/insights/time-series/{project-slug}/workflows/{workflow-name}/jobs")
            let points = try #require(series["items"] as? [[String: Any]])
            let testRunsInSeries = points.filter { $0["name"] as? String == "test" }
                .map { ($0["metrics"] as? [String: Any])?["total_runs"] as? Int ?? 0 }.reduce(0, +)
            let failedInSeries = points.filter { $0["name"] as? String == "test" }
                .map { ($0["metrics"] as? [String: Any])?["failed_runs"] as? Int ?? 0 }.reduce(0, +)
            #expect(testRunsInSeries == 3 && failedInSeries == 1, "\(granularity): \(points)")
        }

        let org = try await Self.valid(system, "/api/v2/insights/gh/acme/summary", template: "/insights/{org-slug}/summary")
        let mine = (org["org_project_data"] as? [[String: Any]])?.first { $0["project_name"] as? String == "insights" }
        #expect((mine?["metrics"] as? [String: Any])?["total_runs"] as? Int == 4, "\(String(describing: mine))")
        #expect((org["all_projects"] as? [String])?.contains("insights") == true)
        let orgTotal = ((org["org_data"] as? [String: Any])?["metrics"] as? [String: Any])?["total_runs"] as? Int ?? 0
        #expect(orgTotal >= 4)
        let filtered = try await Self.valid(system, "/api/v2/insights/gh/acme/summary?project-names=insights",
                                            template: "/insights/{org-slug}/summary")
        #expect((filtered["org_project_data"] as? [[String: Any]])?.map { $0["project_name"] as? String } == ["insights"])

        // Bad input is a 400 that says what is wrong; unknown projects, workflows and organisations are 404.
        for (path, words) in [("\(base)/workflows?reporting-window=last-week", "reporting-window"),
                              ("\(base)/workflows?all-branches=maybe", "all-branches"),
                              ("\(base)/workflows?all-branches=true&branch=main", "either branch or all-branches"),
                              ("\(base)/workflows?page-token=abc", "page-token"),
                              ("\(base)/workflows/main?start-date=yesterday", "start-date"),
                              ("\(base)/workflows/main?end-date=2026-01-01T00:00:00Z", "end-date needs a start-date"),
                              ("\(base)/workflows/main?start-date=2026-01-01T00:00:00Z&end-date=2026-06-01T00:00:00Z", "90 days"),
                              ("/api/v2/insights/time-series/\(slug)/workflows/main/jobs?granularity=weekly", "granularity"),
                              ("/api/v2/insights/pages/\(slug)/summary?reporting-window=forever", "reporting-window")] {
            let (code, message) = try await Self.message(system, path)
            #expect(code == 400 && message.contains(words), "\(path): \(code) \(message)")
        }
        for path in ["/api/v2/insights/gh/acme/no-such-project/workflows", "\(base)/workflows/no-such-workflow/summary",
                     "/api/v2/insights/gh/no-such-org/summary", "/api/v2/insights/gh/acme/no-such-project/flaky-tests"] {
            let (code, message) = try await Self.message(system, path)
            #expect(code == 404 && message.contains("not found"), "\(path): \(code) \(message)")
        }
        // Someone without a role in the organisation sees neither the project's nor the organisation's numbers.
        let outsider = HTTPProbe.authenticated(try system.user("insights-outsider"))
        #expect(try await Self.message(system, "\(base)/workflows", probe: outsider).0 == 403)
        #expect(try await Self.message(system, "/api/v2/insights/gh/acme/summary", probe: outsider).0 == 403)

        // The web UI: the project's page (workflow table, flaky test), the drill-in, the link from the pipelines page.
        func html(_ path: String) async throws -> (Int, String) {
            let url = try #require(URL(string: system.system.apiURL.absoluteString + path))
            let (code, data) = await system.http.send("GET", url, body: nil, headers: ["Accept": "text/html"])
            return (code, String(decoding: data, as: UTF8.self))
        }
        let (pageCode, insightsPage) = try await html("/insights/\(slug)?reporting-window=last-7-days")
        #expect(pageCode == 200)
        #expect(insightsPage.contains("<tr class=\"insights-workflow\" data-name=\"main\">"), "\(insightsPage.prefix(600))")
        #expect(insightsPage.contains("data-runs=\"4\"") && insightsPage.contains("<option value=\"last-7-days\" selected>"))
        #expect(insightsPage.contains("<tr class=\"flaky-test\" data-test=\"flips\">")
                && insightsPage.contains("href=\"/pipelines/\(slug)/jobs/\(failedTestJob)\""))
        #expect(insightsPage.contains("<caption>") && insightsPage.contains("scope=\"col\"")
                && insightsPage.contains("<label for=\"reporting-window\">"))
        let (_, mainOnly) = try await html("/insights/\(slug)?branch=main")
        #expect(mainOnly.contains("data-runs=\"3\"") && mainOnly.contains("branch main"))
        let (drillCode, drill) = try await html("/insights/\(slug)/workflows/main?reporting-window=last-30-days")
        #expect(drillCode == 200 && drill.contains("data-name=\"build\"") && drill.contains("data-name=\"test\""), "\(drill.prefix(600))")
        #expect(drill.contains("id=\"workflow-summary\">4 runs"))
        let (badCode, bad) = try await html("/insights/\(slug)?reporting-window=forever")
        #expect(badCode == 400 && bad.contains("role=\"alert\""))
        let (_, pipelines) = try await html("/pipelines/\(slug)")
        #expect(pipelines.contains("<a id=\"insights\" href=\"/insights/\(slug)\">Insights</a>"))
        // Signed out: the sign-in page (redirects followed), not a JSON 401.
        let signedOutURL = try #require(URL(string: system.system.apiURL.absoluteString + "/insights/\(slug)"))
        let (signedOut, signIn) = await HTTPProbe().send("GET", signedOutURL, body: nil, headers: ["Accept": "text/html"])
        #expect(signedOut == 200 && String(decoding: signIn, as: UTF8.self).contains("id=\"sign-in-form\""))
    }
}
}

/// A small checker for the API document's response schemas: types, formats (date-time, uuid in lower case),
/// enums, required properties, `x-nullable`, and no properties the document does not name.
enum SchemaCheck {
    static func problems(_ value: Any, schema: [String: Any], at path: String) -> [String] {
        if let all = schema["allOf"] as? [[String: Any]] {
            return all.flatMap { problems(value, schema: $0, at: path) }
        }
        if value is NSNull {
            return schema["x-nullable"] as? Bool == true || schema["type"] == nil ? [] : ["\(path) is null"]
        }
        var found: [String] = []
        if let options = schema["enum"] as? [String], !options.contains(value as? String ?? "") {
            found.append("\(path) = \(value) is not one of \(options)")
        }
        switch schema["type"] as? String {
        case "object":
            guard let object = value as? [String: Any] else { return ["\(path) is not an object"] }
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path).\(key) is missing")
            }
            if !properties.isEmpty {
                for key in object.keys where properties[key] == nil { found.append("\(path).\(key) is not in the document") }
            }
            for (key, property) in properties {
                if let child = object[key] { found += problems(child, schema: property, at: "\(path).\(key)") }
            }
        case "array":
            guard let array = value as? [Any] else { return ["\(path) is not an array"] }
            let items = schema["items"] as? [String: Any] ?? [:]
            for (index, element) in array.enumerated() { found += problems(element, schema: items, at: "\(path)[\(index)]") }
        case "string":
            guard let text = value as? String else { return ["\(path) is not a string"] }
            switch schema["format"] as? String {
            case "date-time":
                let parsed = (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
                    ?? (try? Date.ISO8601FormatStyle().parse(text))
                if parsed == nil { found.append("\(path) = \(text) is not a date-time") }
            case "uuid":
                if UUID(uuidString: text) == nil || text != text.lowercased() { found.append("\(path) = \(text) is not a lower-case UUID") }
            default: break
            }
        case "integer":
            guard let number = value as? NSNumber, number.doubleValue.rounded() == number.doubleValue else {
                return ["\(path) = \(value) is not an integer"]
            }
            if let minimum = schema["minimum"] as? Int, number.intValue < minimum { found.append("\(path) is below \(minimum)") }
        case "number":
            if value as? NSNumber == nil { found.append("\(path) = \(value) is not a number") }
        case "boolean":
            if value as? Bool == nil { found.append("\(path) = \(value) is not a boolean") }
        default:
            break
        }
        return found
    }
}

/// The schema checker itself bites: what it must refuse, it refuses (no running system needed).
struct SchemaCheckTests {
    @Test func refusesMissingExtraNullAndMistypedValues() throws {
        let schemas = try EndToEnd.InsightsTests.schemas()
        let runs = try #require(schemas["/insights/{project-slug}/workflows/{workflow-name}"] as? [String: Any])
        let good: [String: Any] = ["next_page_token": NSNull(), "items": [[
            "id": "0b6f3a4e-5c1d-4b7a-9f0e-2d3c4b5a6978", "branch": "main", "duration": NSNull(), "created_at": "2026-11-27T10:00:00.000Z",
            "stopped_at": NSNull(), "credits_used": 0, "status": "success", "is_approval": false]]]
        #expect(SchemaCheck.problems(good, schema: runs, at: "$").isEmpty)
        var item = try #require((good["items"] as? [[String: Any]])?.first)
        item["id"] = "0B6F3A4E-5C1D-4B7A-9F0E-2D3C4B5A6978"
        item["status"] = "running"
        item["created_at"] = "yesterday"
        item["branch"] = NSNull()
        item["extra"] = 1
        item.removeValue(forKey: "is_approval")
        let problems = SchemaCheck.problems(["items": [item]], schema: runs, at: "$")
        for words in ["id", "status", "created_at", "branch is null", "extra is not in the document", "is_approval is missing",
                      "next_page_token is missing"] {
            #expect(problems.contains { $0.contains(words) }, "\(words): \(problems)")
        }
    }
}
