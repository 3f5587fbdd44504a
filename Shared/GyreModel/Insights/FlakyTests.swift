import Foundation

/// Flaky tests: a test is flaky when it both passed and failed (failure or error) on the same revision,
/// whatever the branch. A test stops being flaky once `expiry` (two weeks, as CircleCI) has passed
/// since its last flake.
public struct FlakyTest: Sendable, Equatable {
    public var key: TestExecution.Key
    public var source: String
    /// How many failed results it had on revisions where it also passed.
    public var timesFlaked: Int
    /// Seconds of the jobs that failed in those flakes (what had to be run again).
    public var timeWasted: Int
    /// The most recent flake: the failed result's run.
    public var latest: TestExecution

    public static let expiry: TimeInterval = 14 * 86_400

    /// The flaky tests among `executions`, most recently flaked first.
    public static func find(in executions: [TestExecution], now: Date) -> [FlakyTest] {
        let groups = Dictionary(grouping: executions.filter { $0.revision != nil }) {
            RevisionKey(test: $0.key, revision: $0.revision ?? "")
        }
        var flakes: [TestExecution.Key: [TestExecution]] = [:]
        for (key, results) in groups where results.contains(where: \.passed) && results.contains(where: \.failed) {
            flakes[key.test, default: []].append(contentsOf: results.filter(\.failed))
        }
        return flakes.compactMap { key, failures -> FlakyTest? in
            let ordered = failures.sorted { ($0.workflowCreatedAt, $0.jobNumber) < ($1.workflowCreatedAt, $1.jobNumber) }
            guard let latest = ordered.last, now.timeIntervalSince(latest.workflowCreatedAt) <= expiry else { return nil }
            // A job that failed several flaky tests is counted once in the time wasted.
            var jobs: [Int: Double] = [:]
            for failure in failures { jobs[failure.jobNumber] = failure.jobDuration ?? 0 }
            return FlakyTest(key: key, source: latest.source, timesFlaked: failures.count,
                             timeWasted: DurationStats.seconds(jobs.values.reduce(0, +)), latest: latest)
        }.sorted { ($0.latest.workflowCreatedAt, $1.key) > ($1.latest.workflowCreatedAt, $0.key) }
    }

    struct RevisionKey: Hashable {
        var test: TestExecution.Key
        var revision: String
    }
}
