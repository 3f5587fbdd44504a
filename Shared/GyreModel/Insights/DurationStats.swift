import Foundation

/// Duration statistics of a group of runs, in whole seconds as the Insights API gives them.
///
/// Percentiles use the nearest-rank definition: the p-th percentile of n sorted
/// values is the value at rank ⌈p/100 · n⌉ (1-based), so it is always a duration
/// that really occurred; the median of an even count is the lower middle value.
/// The standard deviation is the population one (a single run: 0).
public struct DurationStats: Sendable, Equatable {
    public var min: Int
    public var max: Int
    public var mean: Int
    public var median: Int
    public var p95: Int
    public var total: Int
    public var standardDeviation: Double

    /// nil when there is no duration.
    public init?(_ durations: [Double]) {
        guard !durations.isEmpty else { return nil }
        let sorted = durations.sorted()
        let count = Double(sorted.count)
        let sum = sorted.reduce(0, +)
        let mean = sum / count
        let variance = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / count
        self.min = Self.seconds(sorted[0])
        self.max = Self.seconds(sorted[sorted.count - 1])
        self.mean = Self.seconds(mean)
        self.median = Self.seconds(Self.percentile(50, ofSorted: sorted))
        self.p95 = Self.seconds(Self.percentile(95, ofSorted: sorted))
        self.total = Self.seconds(sum)
        self.standardDeviation = variance.squareRoot()
    }

    /// The nearest-rank percentile of sorted values (not empty).
    public static func percentile(_ p: Int, ofSorted sorted: [Double]) -> Double {
        precondition(!sorted.isEmpty && p > 0 && p <= 100)
        // ⌈p·n/100⌉ in whole numbers (no rounding error at exact ranks).
        let rank = (p * sorted.count + 99) / 100
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    static func seconds(_ value: Double) -> Int { Int(value.rounded()) }
}
