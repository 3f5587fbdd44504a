import Foundation

/// What Insights reports about a group of runs (one workflow's, one job's, a
/// project's) in a window.
///
/// - `totalRuns` counts every run created in the window, also those still running or on hold.
/// - `successRate` is successful ÷ (successful + failed): canceled and unfinished runs count neither way;
///   0 when nothing succeeded or failed.
/// - Durations come from the runs that ended as a success or a failure.
/// - `throughput` is runs per day: `totalRuns` ÷ the window's length in days.
/// - Mean time to recovery: per branch, in creation order, the time from the end of the first failed run of a
///   streak of failures to the end of the next successful run, averaged over those recoveries; nil without one.
/// - Credits: Gyre runs on your own machines and keeps no credit ledger, so credits are always 0.
public struct RunMetrics: Sendable, Equatable {
    public var totalRuns: Int
    public var successfulRuns: Int
    public var failedRuns: Int
    /// Runs that ended (successful, failed, canceled or not run).
    public var completedRuns: Int
    public var successRate: Double
    public var throughput: Double
    public var durations: DurationStats?
    /// Seconds; nil when no failure was followed by a success in the window.
    public var meanTimeToRecovery: Int?
    public var recoveries: Int
    public var totalCreditsUsed: Int { 0 }
    /// When the first and the last run of the group were created (nil without runs).
    public var firstRunAt: Date?
    public var lastRunAt: Date?

    public init(_ runs: [InsightsRun], windowDays: Double) {
        totalRuns = runs.count
        successfulRuns = runs.count { $0.outcome == .success }
        failedRuns = runs.count { $0.outcome == .failed }
        completedRuns = runs.count { $0.outcome != .unfinished }
        let decided = successfulRuns + failedRuns
        successRate = decided == 0 ? 0 : Double(successfulRuns) / Double(decided)
        throughput = windowDays > 0 ? Double(totalRuns) / windowDays : 0
        durations = DurationStats(runs.compactMap(\.duration))
        let recoveryTimes = Self.recoveryTimes(runs)
        recoveries = recoveryTimes.count
        meanTimeToRecovery = recoveryTimes.isEmpty
            ? nil : DurationStats.seconds(recoveryTimes.reduce(0, +) / Double(recoveryTimes.count))
        firstRunAt = runs.map(\.createdAt).min()
        lastRunAt = runs.map(\.createdAt).max()
    }

    /// Seconds from each failure streak's first failed run ending to the next success ending, per branch.
    public static func recoveryTimes(_ runs: [InsightsRun]) -> [Double] {
        let byBranch = Dictionary(grouping: runs.filter { $0.outcome == .success || $0.outcome == .failed }) { $0.branch ?? "" }
        var times: [Double] = []
        for (_, branchRuns) in byBranch {
            var brokenAt: Date?
            for run in branchRuns.sorted(by: { $0.createdAt < $1.createdAt }) {
                guard let stopped = run.stoppedAt else { continue }
                switch run.outcome {
                case .failed:
                    if brokenAt == nil { brokenAt = stopped }
                case .success:
                    if let broken = brokenAt {
                        times.append(max(0, stopped.timeIntervalSince(broken)))
                        brokenAt = nil
                    }
                default:
                    break
                }
            }
        }
        return times
    }

    /// A trend: this window's value as a ratio of the previous window's (1.5 = half as much again,
    /// 0.5 = half); 0 when the previous window had nothing to compare with.
    public static func trend(_ current: Double, previous: Double) -> Double {
        previous == 0 ? 0 : current / previous
    }
}
