import Foundation
import GyreModel

/// A value the API document marks `x-nullable` and required: written as `null` when absent, never left out.
@propertyWrapper
struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    var wrappedValue: Value?

    init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let wrappedValue { try container.encode(wrappedValue) } else { try container.encodeNil() }
    }
}

/// The response shapes of the Insights calls, field for field as the CircleCI API v2 document names them.
enum InsightsAPI {
    struct DurationMetrics: Encodable, Sendable {
        @Nullable var min: Int?
        @Nullable var mean: Int?
        @Nullable var median: Int?
        @Nullable var p95: Int?
        @Nullable var max: Int?
        @Nullable var standard_deviation: Double?

        init(_ stats: DurationStats?) {
            min = stats?.min
            mean = stats?.mean
            median = stats?.median
            p95 = stats?.p95
            max = stats?.max
            standard_deviation = stats?.standardDeviation
        }
    }

    // MARK: /insights/{project-slug}/workflows

    struct WorkflowMetrics: Encodable, Sendable {
        var total_runs: Int
        var successful_runs: Int
        @Nullable var mttr: Int?
        @Nullable var total_credits_used: Int?
        var failed_runs: Int
        var success_rate: Double
        var duration_metrics: DurationMetrics
        @Nullable var total_recoveries: Int?
        var throughput: Double

        init(_ metrics: RunMetrics) {
            total_runs = metrics.totalRuns
            successful_runs = metrics.successfulRuns
            mttr = metrics.meanTimeToRecovery
            total_credits_used = metrics.totalCreditsUsed
            failed_runs = metrics.failedRuns
            success_rate = metrics.successRate
            duration_metrics = DurationMetrics(metrics.durations)
            total_recoveries = metrics.recoveries
            throughput = metrics.throughput
        }
    }

    struct WorkflowItem: Encodable, Sendable {
        var name: String
        var metrics: WorkflowMetrics
        var window_start: Date
        var window_end: Date
        var project_id: String
    }

    // MARK: /insights/{project-slug}/workflows/{workflow-name}

    struct WorkflowRun: Encodable, Sendable {
        var id: UUID
        var branch: String
        @Nullable var duration: Int?
        var created_at: Date
        @Nullable var stopped_at: Date?
        var credits_used: Int
        @Nullable var status: String?
        var is_approval: Bool
    }

    // MARK: /insights/{project-slug}/workflows/{workflow-name}/jobs

    struct JobMetrics: Encodable, Sendable {
        var total_runs: Int
        var failed_runs: Int
        var successful_runs: Int
        var duration_metrics: DurationMetrics
        var success_rate: Double
        var total_credits_used: Int
        var throughput: Double

        init(_ metrics: RunMetrics) {
            total_runs = metrics.totalRuns
            failed_runs = metrics.failedRuns
            successful_runs = metrics.successfulRuns
            duration_metrics = DurationMetrics(metrics.durations)
            success_rate = metrics.successRate
            total_credits_used = metrics.totalCreditsUsed
            throughput = metrics.throughput
        }
    }

    struct JobItem: Encodable, Sendable {
        var name: String
        var metrics: JobMetrics
        var window_start: Date
        var window_end: Date
    }

    // MARK: /insights/{project-slug}/workflows/{workflow-name}/summary

    struct SummaryMetrics: Encodable, Sendable {
        var total_runs: Int
        var successful_runs: Int
        @Nullable var mttr: Int?
        @Nullable var total_credits_used: Int?
        var failed_runs: Int
        var success_rate: Double
        @Nullable var completed_runs: Int?
        var window_start: Date
        var duration_metrics: DurationMetrics
        var window_end: Date
        var throughput: Double

        init(_ metrics: RunMetrics, windowStart: Date, windowEnd: Date) {
            total_runs = metrics.totalRuns
            successful_runs = metrics.successfulRuns
            mttr = metrics.meanTimeToRecovery
            total_credits_used = metrics.totalCreditsUsed
            failed_runs = metrics.failedRuns
            success_rate = metrics.successRate
            completed_runs = metrics.completedRuns
            window_start = windowStart
            duration_metrics = DurationMetrics(metrics.durations)
            window_end = windowEnd
            throughput = metrics.throughput
        }
    }

    struct SummaryTrends: Encodable, Sendable {
        var total_runs: Double
        var failed_runs: Double
        var success_rate: Double
        var p95_duration_secs: Double
        var median_duration_secs: Double
        var total_credits_used: Double
        var mttr: Double
        var throughput: Double

        init(_ now: RunMetrics, previous before: RunMetrics) {
            let trend = RunMetrics.trend
            total_runs = trend(Double(now.totalRuns), Double(before.totalRuns))
            failed_runs = trend(Double(now.failedRuns), Double(before.failedRuns))
            success_rate = trend(now.successRate, before.successRate)
            p95_duration_secs = trend(Double(now.durations?.p95 ?? 0), Double(before.durations?.p95 ?? 0))
            median_duration_secs = trend(Double(now.durations?.median ?? 0), Double(before.durations?.median ?? 0))
            total_credits_used = 0
            mttr = trend(Double(now.meanTimeToRecovery ?? 0), Double(before.meanTimeToRecovery ?? 0))
            throughput = trend(now.throughput, before.throughput)
        }
    }

    struct WorkflowSummary: Encodable, Sendable {
        var metrics: SummaryMetrics
        var trends: SummaryTrends
        var workflow_names: [String]
    }

    // MARK: /insights/{project-slug}/workflows/{workflow-name}/test-metrics

    struct TestItem: Encodable, Sendable {
        @Nullable var p95_duration: Double?
        var total_runs: Int
        @Nullable var classname: String?
        var failed_runs: Int
        var flaky: Bool
        @Nullable var source: String?
        @Nullable var file: String?
        var job_name: String
        var test_name: String

        init(_ test: TestMetrics.Test) {
            p95_duration = test.p95Duration
            total_runs = test.totalRuns
            classname = test.key.classname.isEmpty ? nil : test.key.classname
            failed_runs = test.failedRuns
            flaky = test.flaky
            source = test.source
            file = test.key.file.isEmpty ? nil : test.key.file
            job_name = test.key.jobName
            test_name = test.key.testName
        }
    }

    struct TestCounts: Encodable, Sendable {
        var error: Int
        var failure: Int
        var skipped: Int
        var success: Int
        var total: Int
    }

    struct TestRun: Encodable, Sendable {
        var pipeline_number: Int
        var workflow_id: UUID
        var success_rate: Double
        var test_counts: TestCounts
    }

    struct TestMetricsBody: Encodable, Sendable {
        var average_test_count: Int
        var most_failed_tests: [TestItem]
        var most_failed_tests_extra: Int
        var slowest_tests: [TestItem]
        var slowest_tests_extra: Int
        var total_test_runs: Int
        var test_runs: [TestRun]

        init(_ metrics: TestMetrics) {
            average_test_count = metrics.averageTestCount
            most_failed_tests = metrics.mostFailed.map(TestItem.init)
            most_failed_tests_extra = metrics.mostFailedExtra
            slowest_tests = metrics.slowest.map(TestItem.init)
            slowest_tests_extra = metrics.slowestExtra
            total_test_runs = metrics.totalTestRuns
            test_runs = metrics.runs.map { run in
                TestRun(pipeline_number: run.pipelineNumber, workflow_id: run.workflowId, success_rate: run.successRate,
                        test_counts: TestCounts(error: run.error, failure: run.failure, skipped: run.skipped,
                                                success: run.success, total: run.total))
            }
        }
    }

    // MARK: /insights/{project-slug}/flaky-tests

    struct FlakyTestItem: Encodable, Sendable {
        var timeWasted: Int
        var workflowCreatedAt: Date
        var workflowId: UUID
        @Nullable var classname: String?
        var pipelineNumber: Int
        var workflowName: String
        var testName: String
        var jobName: String
        var jobNumber: Int
        var timesFlaked: Int
        @Nullable var source: String?
        @Nullable var file: String?

        enum CodingKeys: String, CodingKey {
            case timeWasted = "time-wasted", workflowCreatedAt = "workflow-created-at", workflowId = "workflow-id"
            case classname, pipelineNumber = "pipeline-number", workflowName = "workflow-name", testName = "test-name"
            case jobName = "job-name", jobNumber = "job-number", timesFlaked = "times-flaked", source, file
        }

        init(_ flaky: FlakyTest) {
            timeWasted = flaky.timeWasted
            workflowCreatedAt = flaky.latest.workflowCreatedAt
            workflowId = flaky.latest.workflowId
            classname = flaky.key.classname.isEmpty ? nil : flaky.key.classname
            pipelineNumber = flaky.latest.pipelineNumber
            workflowName = flaky.key.workflowName
            testName = flaky.key.testName
            jobName = flaky.key.jobName
            jobNumber = flaky.latest.jobNumber
            timesFlaked = flaky.timesFlaked
            source = flaky.source
            file = flaky.key.file.isEmpty ? nil : flaky.key.file
        }
    }

    struct FlakyTests: Encodable, Sendable {
        var flakyTests: [FlakyTestItem]
        var totalFlakyTests: Double

        enum CodingKeys: String, CodingKey {
            case flakyTests = "flaky-tests", totalFlakyTests = "total-flaky-tests"
        }
    }

    // MARK: /insights/{project-slug}/branches

    struct Branches: Encodable, Sendable {
        var org_id: String
        var project_id: String
        var branches: [String]
    }

    // MARK: /insights/pages/{project-slug}/summary and /insights/{org-slug}/summary

    /// Totals of a project or an organisation.
    struct TotalMetrics: Encodable, Sendable {
        var total_runs: Int
        var total_duration_secs: Int
        var total_credits_used: Int
        var success_rate: Double
        var throughput: Double

        init(_ metrics: RunMetrics) {
            total_runs = metrics.totalRuns
            total_duration_secs = metrics.durations?.total ?? 0
            total_credits_used = metrics.totalCreditsUsed
            success_rate = metrics.successRate
            throughput = metrics.throughput
        }
    }

    struct TotalTrends: Encodable, Sendable {
        var total_runs: Double
        var total_duration_secs: Double
        var total_credits_used: Double
        var success_rate: Double
        var throughput: Double

        init(_ now: RunMetrics, previous before: RunMetrics) {
            total_runs = RunMetrics.trend(Double(now.totalRuns), previous: Double(before.totalRuns))
            total_duration_secs = RunMetrics.trend(Double(now.durations?.total ?? 0), previous: Double(before.durations?.total ?? 0))
            total_credits_used = 0
            success_rate = RunMetrics.trend(now.successRate, previous: before.successRate)
            throughput = RunMetrics.trend(now.throughput, previous: before.throughput)
        }
    }

    struct Totals: Encodable, Sendable {
        var metrics: TotalMetrics
        var trends: TotalTrends
    }

    /// A workflow's (or a workflow on a branch's) headline numbers.
    struct HeadlineMetrics: Encodable, Sendable {
        var total_credits_used: Int
        var p95_duration_secs: Double
        var total_runs: Int
        var success_rate: Double

        init(_ metrics: RunMetrics) {
            total_credits_used = metrics.totalCreditsUsed
            p95_duration_secs = Double(metrics.durations?.p95 ?? 0)
            total_runs = metrics.totalRuns
            success_rate = metrics.successRate
        }
    }

    struct HeadlineTrends: Encodable, Sendable {
        var total_credits_used: Double
        var p95_duration_secs: Double
        var total_runs: Double
        var success_rate: Double

        init(_ now: RunMetrics, previous before: RunMetrics) {
            total_credits_used = 0
            p95_duration_secs = RunMetrics.trend(Double(now.durations?.p95 ?? 0), previous: Double(before.durations?.p95 ?? 0))
            total_runs = RunMetrics.trend(Double(now.totalRuns), previous: Double(before.totalRuns))
            success_rate = RunMetrics.trend(now.successRate, previous: before.successRate)
        }
    }

    struct WorkflowData: Encodable, Sendable {
        var workflow_name: String
        var metrics: HeadlineMetrics
        var trends: HeadlineTrends
    }

    struct WorkflowBranchData: Encodable, Sendable {
        var workflow_name: String
        var branch: String
        var metrics: HeadlineMetrics
        var trends: HeadlineTrends
    }

    struct Pair: Hashable {
        var workflow: String
        var branch: String
    }

    struct PageSummary: Encodable, Sendable {
        var org_id: String
        var project_id: String
        var project_data: Totals
        var project_workflow_data: [WorkflowData]
        var project_workflow_branch_data: [WorkflowBranchData]
        var all_branches: [String]
        var all_workflows: [String]
    }

    struct ProjectMetrics: Encodable, Sendable {
        var total_credits_used: Int
        var total_duration_secs: Int
        var total_runs: Int
        var success_rate: Double

        init(_ metrics: RunMetrics) {
            total_credits_used = metrics.totalCreditsUsed
            total_duration_secs = metrics.durations?.total ?? 0
            total_runs = metrics.totalRuns
            success_rate = metrics.successRate
        }
    }

    struct ProjectTrends: Encodable, Sendable {
        var total_credits_used: Double
        var total_duration_secs: Double
        var total_runs: Double
        var success_rate: Double

        init(_ now: RunMetrics, previous before: RunMetrics) {
            total_credits_used = 0
            total_duration_secs = RunMetrics.trend(Double(now.durations?.total ?? 0), previous: Double(before.durations?.total ?? 0))
            total_runs = RunMetrics.trend(Double(now.totalRuns), previous: Double(before.totalRuns))
            success_rate = RunMetrics.trend(now.successRate, previous: before.successRate)
        }
    }

    struct ProjectData: Encodable, Sendable {
        var project_name: String
        var metrics: ProjectMetrics
        var trends: ProjectTrends
    }

    struct OrganizationSummary: Encodable, Sendable {
        var org_data: Totals
        var org_project_data: [ProjectData]
        var all_projects: [String]
    }

    // MARK: /insights/time-series/{project-slug}/workflows/{workflow-name}/jobs

    struct TimeseriesDurations: Encodable, Sendable {
        @Nullable var min: Int?
        @Nullable var median: Int?
        @Nullable var max: Int?
        @Nullable var p95: Int?
        @Nullable var total: Int?
    }

    struct TimeseriesMetrics: Encodable, Sendable {
        var total_runs: Int
        var failed_runs: Int
        var successful_runs: Int
        var throughput: Double
        var median_credits_used: Int
        var total_credits_used: Int
        var duration_metrics: TimeseriesDurations
    }

    struct TimeseriesItem: Encodable, Sendable {
        var name: String
        var min_started_at: Date
        var max_ended_at: Date
        var timestamp: Date
        var metrics: TimeseriesMetrics

        init(_ point: TimeseriesPoint) {
            name = point.name
            min_started_at = point.minStartedAt
            max_ended_at = point.maxEndedAt
            timestamp = point.timestamp
            let metrics = point.metrics, durations = metrics.durations
            self.metrics = TimeseriesMetrics(
                total_runs: metrics.totalRuns, failed_runs: metrics.failedRuns, successful_runs: metrics.successfulRuns,
                throughput: metrics.throughput, median_credits_used: 0, total_credits_used: metrics.totalCreditsUsed,
                duration_metrics: TimeseriesDurations(min: durations?.min, median: durations?.median, max: durations?.max,
                                                      p95: durations?.p95, total: durations?.total))
        }
    }
}
