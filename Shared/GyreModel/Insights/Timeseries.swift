import Foundation

/// Runs of named things (a workflow's jobs) in buckets of an hour or a day (UTC), each with its metrics.
public struct TimeseriesPoint: Sendable, Equatable {
    public enum Granularity: String, Sendable, CaseIterable {
        case daily, hourly

        public var seconds: TimeInterval { self == .daily ? 86_400 : 3_600 }

        /// The start of the bucket holding `date`.
        public func bucket(_ date: Date) -> Date {
            Date(timeIntervalSince1970: (date.timeIntervalSince1970 / seconds).rounded(.down) * seconds)
        }
    }

    public var name: String
    /// The start of the bucket.
    public var timestamp: Date
    /// The earliest start and the latest end among the bucket's runs (a run not started or not ended counts
    /// with its creation time).
    public var minStartedAt: Date
    public var maxEndedAt: Date
    /// Throughput is runs per day of the bucket (an hour's runs × 24).
    public var metrics: RunMetrics

    /// One point per name and bucket (by when each run was created), by name, then oldest first.
    public static func series(_ runs: [(name: String, run: InsightsRun)], granularity: Granularity) -> [TimeseriesPoint] {
        let groups = Dictionary(grouping: runs) { Group(name: $0.name, bucket: granularity.bucket($0.run.createdAt)) }
        return groups.map { group, members in
            let list = members.map { $0.run }
            return TimeseriesPoint(name: group.name, timestamp: group.bucket,
                                   minStartedAt: list.map { $0.startedAt ?? $0.createdAt }.min() ?? group.bucket,
                                   maxEndedAt: list.map { $0.stoppedAt ?? $0.createdAt }.max() ?? group.bucket,
                                   metrics: RunMetrics(list, windowDays: granularity.seconds / 86_400))
        }.sorted { ($0.name, $0.timestamp) < ($1.name, $1.timestamp) }
    }

    struct Group: Hashable {
        var name: String
        var bucket: Date
    }
}
