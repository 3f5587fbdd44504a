import Foundation
import GyreModel
import Testing

struct InsightsTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    func run(_ outcome: InsightsRun.Outcome, at minute: Double, seconds: Double? = nil, branch: String = "main",
             revision: String = "r1") -> InsightsRun {
        let created = t0.addingTimeInterval(minute * 60)
        return InsightsRun(outcome: outcome, branch: branch, revision: revision, createdAt: created, startedAt: created,
                           stoppedAt: seconds.map { created.addingTimeInterval($0) })
    }

    // MARK: run metrics

    @Test func noRunsGiveZerosAndNoDurations() {
        let metrics = RunMetrics([], windowDays: 7)
        #expect(metrics.totalRuns == 0 && metrics.successfulRuns == 0 && metrics.failedRuns == 0)
        #expect(metrics.successRate == 0 && metrics.throughput == 0)
        #expect(metrics.durations == nil && metrics.meanTimeToRecovery == nil && metrics.recoveries == 0)
        #expect(metrics.firstRunAt == nil && metrics.totalCreditsUsed == 0)
    }

    @Test func oneRunIsItsOwnMedianAndPercentileWithNoSpread() throws {
        let metrics = RunMetrics([run(.success, at: 0, seconds: 42)], windowDays: 1)
        let durations = try #require(metrics.durations)
        #expect(durations == DurationStats([42]))
        let values: [Int] = [durations.min, durations.max, durations.mean, durations.median, durations.p95, durations.total]
        #expect(values == [42, 42, 42, 42, 42, 42])
        #expect(durations.standardDeviation == 0)
        #expect(metrics.successRate == 1 && metrics.throughput == 1 && metrics.completedRuns == 1)
    }

    @Test func allFailedRunsHaveRateZeroAndNoRecovery() {
        let runs = (0..<4).map { run(.failed, at: Double($0), seconds: 10) }
        let metrics = RunMetrics(runs, windowDays: 2)
        #expect(metrics.failedRuns == 4 && metrics.successfulRuns == 0 && metrics.successRate == 0)
        #expect(metrics.throughput == 2)
        #expect(metrics.meanTimeToRecovery == nil && metrics.recoveries == 0)
        #expect(metrics.durations?.median == 10)
    }

    @Test func runningAndCanceledRunsCountAsRunsButNotInRateOrDurations() {
        let runs = [run(.success, at: 0, seconds: 10), run(.failed, at: 1, seconds: 30),
                    run(.unfinished, at: 2), run(.otherFinal, at: 3, seconds: 500)]
        let metrics = RunMetrics(runs, windowDays: 1)
        #expect(metrics.totalRuns == 4 && metrics.completedRuns == 3)
        #expect(metrics.successRate == 0.5)
        #expect(metrics.durations?.max == 30 && metrics.durations?.min == 10 && metrics.durations?.total == 40)
    }

    @Test func percentilesUseNearestRank() {
        let twenty = (1...20).map(Double.init)
        #expect(DurationStats.percentile(95, ofSorted: twenty) == 19)
        #expect(DurationStats.percentile(50, ofSorted: twenty) == 10)
        #expect(DurationStats.percentile(95, ofSorted: [1, 2, 3]) == 3)
        #expect(DurationStats.percentile(50, ofSorted: [1, 2, 3]) == 2)
        #expect(DurationStats.percentile(50, ofSorted: [1, 2, 3, 4]) == 2)
        #expect(DurationStats.percentile(100, ofSorted: [5, 9]) == 9)
        let stats = DurationStats([4, 8, 6, 2])
        #expect(stats?.median == 4 && stats?.mean == 5 && stats?.p95 == 8 && stats?.min == 2 && stats?.max == 8)
        // Population standard deviation: sqrt(((−3)²+(−1)²+1²+3²)/4) = sqrt(5).
        #expect(abs((stats?.standardDeviation ?? 0) - 5.0.squareRoot()) < 1e-9)
    }

    @Test func meanTimeToRecoveryRunsFromAStreaksFirstFailureToTheNextSuccessOnTheSameBranch() {
        let runs = [
            run(.failed, at: 0, seconds: 60),   // ends at 1 min: main broken
            run(.failed, at: 2, seconds: 60),   // still broken
            run(.success, at: 5, seconds: 60),  // ends at 6 min: recovered after 5 min
            run(.failed, at: 10, seconds: 0, branch: "topic"),  // ends at 10 min
            run(.success, at: 11, seconds: 60, branch: "main"), // no failure before it on main since recovery
            run(.success, at: 13, seconds: 60, branch: "topic"),// ends at 14 min: recovered after 4 min
            run(.failed, at: 20, seconds: 60),  // never recovered
        ]
        #expect(RunMetrics.recoveryTimes(runs).sorted() == [240, 300])
        let metrics = RunMetrics(runs, windowDays: 1)
        #expect(metrics.meanTimeToRecovery == 270 && metrics.recoveries == 2)
    }

    @Test func trendsCompareWithThePreviousWindow() {
        #expect(RunMetrics.trend(15, previous: 10) == 1.5)
        #expect(RunMetrics.trend(5, previous: 0) == 0)
        #expect(RunMetrics.trend(0, previous: 4) == 0)
    }

    @Test func outcomesFromStatuses() {
        #expect(InsightsRun.Outcome(WorkflowStatus.success) == .success)
        #expect(InsightsRun.Outcome(WorkflowStatus.error) == .failed)
        #expect(InsightsRun.Outcome(WorkflowStatus.canceled) == .otherFinal)
        #expect(InsightsRun.Outcome(WorkflowStatus.onHold) == .unfinished)
        #expect(InsightsRun.Outcome(JobStatus.infrastructureFail) == .failed)
        #expect(InsightsRun.Outcome(JobStatus.queued) == .unfinished)
        #expect(WorkflowStatus.running.insightsStatus == nil && WorkflowStatus.failed.insightsStatus == "failed")
        #expect(ReportingWindow(rawValue: "last-7-days") == .last7Days && ReportingWindow(rawValue: "last-week") == nil)
        let window = ReportingWindow.last24Hours.interval(endingAt: t0)
        #expect(window.duration == 86_400 && window.end == t0)
        #expect(ReportingWindow.last7Days.previousInterval(endingAt: t0).end == ReportingWindow.last7Days.interval(endingAt: t0).start)
    }

    // MARK: time series

    @Test func timeseriesBucketsByNameAndUTCDayOrHour() {
        let day = TimeseriesPoint.Granularity.daily.bucket(t0)
        let runs: [(name: String, run: InsightsRun)] = [
            ("build", InsightsRun(outcome: .success, createdAt: day.addingTimeInterval(60), startedAt: day.addingTimeInterval(70),
                                  stoppedAt: day.addingTimeInterval(100))),
            ("build", InsightsRun(outcome: .failed, createdAt: day.addingTimeInterval(7_200), startedAt: day.addingTimeInterval(7_210),
                                  stoppedAt: day.addingTimeInterval(7_230))),
            ("build", InsightsRun(outcome: .success, createdAt: day.addingTimeInterval(90_000))),
            ("test", InsightsRun(outcome: .success, createdAt: day.addingTimeInterval(10))),
        ]
        let daily = TimeseriesPoint.series(runs, granularity: .daily)
        #expect(daily.map(\.name) == ["build", "build", "test"])
        #expect(daily[0].timestamp == day && daily[0].metrics.totalRuns == 2 && daily[0].metrics.failedRuns == 1)
        #expect(daily[0].minStartedAt == day.addingTimeInterval(70) && daily[0].maxEndedAt == day.addingTimeInterval(7_230))
        #expect(daily[0].metrics.durations?.total == 50 && daily[0].metrics.throughput == 2)
        #expect(daily[1].timestamp == day.addingTimeInterval(86_400))
        let hourly = TimeseriesPoint.series(runs, granularity: .hourly)
        #expect(hourly.filter { $0.name == "build" }.count == 3)
        #expect(abs(hourly[0].metrics.throughput - 24) < 1e-9)
    }

    // MARK: tests

    func execution(_ name: String, _ result: String, revision: String?, pipeline: Int, job: Int, time: Double = 1,
                   jobDuration: Double = 30, workflow: UUID = UUID(), hoursAgo: Double = 1) -> TestExecution {
        TestExecution(key: .init(workflowName: "main", jobName: "test", classname: "math", testName: name, file: "m.py"),
                      source: "pytest", result: result, runTime: time, jobNumber: job, jobDuration: jobDuration,
                      workflowId: workflow, workflowCreatedAt: t0.addingTimeInterval(-hoursAgo * 3600),
                      pipelineNumber: pipeline, revision: revision)
    }

    @Test func aTestIsFlakyWhenItPassedAndFailedOnTheSameRevision() throws {
        let executions = [
            execution("flips", "success", revision: "a", pipeline: 1, job: 1, hoursAgo: 3),
            execution("flips", "failure", revision: "a", pipeline: 2, job: 2, hoursAgo: 2),
            execution("flips", "error", revision: "a", pipeline: 3, job: 3, hoursAgo: 1),
            // Failing on one revision and passing on another is a fix, not a flake.
            execution("fixed", "failure", revision: "a", pipeline: 1, job: 1, hoursAgo: 3),
            execution("fixed", "success", revision: "b", pipeline: 4, job: 4, hoursAgo: 0.5),
            execution("steady", "success", revision: "a", pipeline: 1, job: 1, hoursAgo: 3),
            execution("steady", "success", revision: "a", pipeline: 2, job: 2, hoursAgo: 2),
            execution("nameless", "failure", revision: nil, pipeline: 5, job: 5),
            execution("nameless", "success", revision: nil, pipeline: 6, job: 6),
        ]
        let flaky = FlakyTest.find(in: executions, now: t0)
        #expect(flaky.map(\.key.testName) == ["flips"])
        let flips = try #require(flaky.first)
        #expect(flips.timesFlaked == 2 && flips.timeWasted == 60)
        #expect(flips.latest.pipelineNumber == 3 && flips.latest.jobNumber == 3 && flips.source == "pytest")
        // Two weeks after the last flake it is no longer flaky.
        #expect(FlakyTest.find(in: executions, now: t0.addingTimeInterval(15 * 86_400)).isEmpty)
        #expect(FlakyTest.find(in: [], now: t0).isEmpty)
    }

    @Test func testMetricsRankFailuresAndSlownessAndCountPerRun() throws {
        let first = UUID(), second = UUID()
        let executions = [
            execution("flips", "success", revision: "a", pipeline: 1, job: 1, time: 2, workflow: first),
            execution("flips", "failure", revision: "a", pipeline: 2, job: 2, time: 4, workflow: second),
            execution("slow", "success", revision: "a", pipeline: 1, job: 1, time: 9, workflow: first),
            execution("slow", "success", revision: "a", pipeline: 2, job: 2, time: 11, workflow: second),
            execution("broken", "failure", revision: "a", pipeline: 1, job: 1, time: 1, workflow: first),
            execution("broken", "error", revision: "a", pipeline: 2, job: 2, time: 1, workflow: second),
            execution("skipped", "skipped", revision: "a", pipeline: 2, job: 2, time: 0, workflow: second),
        ]
        let metrics = TestMetrics(executions, workflowRuns: 2, limit: 2)
        #expect(metrics.totalTestRuns == 7 && metrics.averageTestCount == 4)
        #expect(metrics.mostFailed.map(\.key.testName) == ["broken", "flips"] && metrics.mostFailedExtra == 0)
        #expect(metrics.mostFailed.map(\.failedRuns) == [2, 1])
        #expect(metrics.mostFailed.first { $0.key.testName == "flips" }?.flaky == true)
        #expect(metrics.mostFailed.first { $0.key.testName == "broken" }?.flaky == false)
        #expect(metrics.slowest.map(\.key.testName) == ["slow", "flips"] && metrics.slowest.first?.p95Duration == 11)
        // "broken" (1 s) and "skipped" (0 s) are left out; neither is as slow as "flips" (4 s).
        #expect(metrics.slowestExtra == 0)
        #expect(metrics.runs.map(\.pipelineNumber) == [2, 1])
        let newest = try #require(metrics.runs.first)
        #expect(newest.workflowId == second && newest.total == 4 && newest.success == 1 && newest.failure == 1
                && newest.error == 1 && newest.skipped == 1)
        #expect(abs(newest.successRate - 1.0 / 3.0) < 1e-9)
        let tied = TestMetrics([execution("x", "failure", revision: "a", pipeline: 1, job: 1),
                                execution("y", "failure", revision: "a", pipeline: 1, job: 1),
                                execution("z", "failure", revision: "a", pipeline: 1, job: 1)], workflowRuns: 1, limit: 1)
        #expect(tied.mostFailed.map(\.key.testName) == ["x"] && tied.mostFailedExtra == 2 && tied.slowestExtra == 2)
        #expect(TestMetrics([], workflowRuns: 0).averageTestCount == 0)
    }
}
