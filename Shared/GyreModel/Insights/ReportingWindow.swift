import Foundation

/// The `reporting-window` of the Insights API: how far back the metrics look.
public enum ReportingWindow: String, Sendable, CaseIterable, Codable {
    case last24Hours = "last-24-hours"
    case last7Days = "last-7-days"
    case last30Days = "last-30-days"
    case last60Days = "last-60-days"
    case last90Days = "last-90-days"

    /// What the API uses when the caller names none.
    public static let `default` = ReportingWindow.last90Days

    public var days: Double {
        switch self {
        case .last24Hours: return 1
        case .last7Days: return 7
        case .last30Days: return 30
        case .last60Days: return 60
        case .last90Days: return 90
        }
    }

    /// The window ending at `now`: `[now - days, now)`.
    public func interval(endingAt now: Date) -> DateInterval {
        DateInterval(start: now.addingTimeInterval(-days * 86_400), end: now)
    }

    /// The window of the same length just before this one (what trends compare with).
    public func previousInterval(endingAt now: Date) -> DateInterval {
        let current = interval(endingAt: now)
        return DateInterval(start: current.start.addingTimeInterval(-days * 86_400), end: current.start)
    }

    /// Words for people (the web UI's window selector).
    public var label: String {
        switch self {
        case .last24Hours: return "Last 24 hours"
        case .last7Days: return "Last 7 days"
        case .last30Days: return "Last 30 days"
        case .last60Days: return "Last 60 days"
        case .last90Days: return "Last 90 days"
        }
    }
}
