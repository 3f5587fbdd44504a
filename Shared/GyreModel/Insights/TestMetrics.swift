import Foundation

/// Test metrics of a workflow's recent runs: the tests that failed most, the slowest, and counts per run.
public struct TestMetrics: Sendable, Equatable {
    public struct Test: Sendable, Equatable {
        public var key: TestExecution.Key
        public var source: String
        public var totalRuns: Int
        public var failedRuns: Int
        /// Nearest-rank 95th percentile of its run times, in seconds.
        public var p95Duration: Double
        public var flaky: Bool
    }

    /// A workflow run's test counts.
    public struct Run: Sendable, Equatable {
        public var workflowId: UUID
        public var pipelineNumber: Int
        public var success: Int
        public var failure: Int
        public var error: Int
        public var skipped: Int
        public var total: Int
        /// success ÷ (tests not skipped); 0 when every test was skipped.
        public var successRate: Double
    }

    public var averageTestCount: Int
    public var totalTestRuns: Int
    public var mostFailed: [Test]
    /// Tests left out of `mostFailed` that failed as often as the last one listed.
    public var mostFailedExtra: Int
    public var slowest: [Test]
    /// Tests left out of `slowest` as slow as the last one listed.
    public var slowestExtra: Int
    /// Newest pipeline first.
    public var runs: [Run]

    /// `workflowRuns` is how many workflow runs the executions come from (runs without tests count too).
    public init(_ executions: [TestExecution], workflowRuns: Int, limit: Int = 10) {
        let flaky = Set(FlakyTest.find(in: executions, now: executions.map(\.workflowCreatedAt).max() ?? Date()).map(\.key))
        let tests = Dictionary(grouping: executions, by: \.key).map { key, results in
            Test(key: key, source: results[0].source, totalRuns: results.count, failedRuns: results.count(where: \.failed),
                 p95Duration: DurationStats.percentile(95, ofSorted: results.map(\.runTime).sorted()),
                 flaky: flaky.contains(key))
        }
        totalTestRuns = executions.count
        averageTestCount = workflowRuns == 0 ? 0 : Int((Double(executions.count) / Double(workflowRuns)).rounded())
        (mostFailed, mostFailedExtra) = Self.top(tests.filter { $0.failedRuns > 0 }, limit: limit) { Double($0.failedRuns) }
        (slowest, slowestExtra) = Self.top(tests, limit: limit, by: \.p95Duration)
        runs = Dictionary(grouping: executions, by: \.workflowId).map { id, results in
            let count = { (result: String) in results.count { $0.result == result } }
            let success = count("success"), skipped = count("skipped")
            let ran = results.count - skipped
            return Run(workflowId: id, pipelineNumber: results[0].pipelineNumber, success: success, failure: count("failure"),
                       error: count("error"), skipped: skipped, total: results.count,
                       successRate: ran == 0 ? 0 : Double(success) / Double(ran))
        }.sorted { ($0.pipelineNumber, $0.workflowId.uuidString) > ($1.pipelineNumber, $1.workflowId.uuidString) }
    }

    /// The `limit` highest by `value` (ties by key), and how many left out share the last one's value.
    static func top(_ tests: [Test], limit: Int, by value: (Test) -> Double) -> ([Test], Int) {
        let sorted = tests.sorted { (value($0), $1.key) > (value($1), $0.key) }
        let shown = Array(sorted.prefix(limit))
        guard let last = shown.last else { return ([], 0) }
        return (shown, sorted.dropFirst(limit).count { value($0) == value(last) })
    }
}
