import Foundation
import GyreModel
import GyreServiceKit
import Hummingbird

/// The query parameters of Insights calls, checked: a bad value is a 400 that says what is accepted.
struct InsightsQuery {
    let parameters: Parameters

    init(_ request: Request) {
        parameters = request.uri.queryParameters
    }

    func text(_ name: String) -> String? {
        parameters.get(name).map { String($0) }.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A list parameter: repeated (`?branches=a&branches=b`) or comma-separated (`?branches=a,b`).
    func list(_ name: String) -> Set<String> {
        Set(parameters.getAll(name).flatMap { $0.split(separator: ",").map(String.init) }.filter { !$0.isEmpty })
    }

    func reportingWindow() throws -> ReportingWindow {
        guard let text = text("reporting-window") else { return .default }
        guard let window = ReportingWindow(rawValue: text) else {
            throw APIError.badRequest("reporting-window must be one of "
                                      + ReportingWindow.allCases.map(\.rawValue).joined(separator: ", ") + "; got \"\(text)\"")
        }
        return window
    }

    func granularity() throws -> TimeseriesPoint.Granularity {
        guard let text = text("granularity") else { return .daily }
        guard let granularity = TimeseriesPoint.Granularity(rawValue: text) else {
            throw APIError.badRequest("granularity must be daily or hourly; got \"\(text)\"")
        }
        return granularity
    }

    /// The branch to report on: `branch`, all of them with `all-branches=true` (nil), else the default branch.
    func branchScope() throws -> String? {
        let branch = text("branch")
        var all = false
        if let flag = text("all-branches") {
            guard flag == "true" || flag == "false" else {
                throw APIError.badRequest("all-branches must be true or false; got \"\(flag)\"")
            }
            all = flag == "true"
        }
        if all && branch != nil {
            throw APIError.badRequest("give either branch or all-branches=true, not both")
        }
        return all ? nil : (branch ?? InsightsQuery.defaultBranch)
    }

    /// Gyre's default branch (as the project API reports it).
    static let defaultBranch = "main"

    /// `start-date` and `end-date` (RFC 3339): the end defaults to now and the start to `defaultSpan` before
    /// it; an end needs a start, and they may be at most 90 days apart.
    func dateRange(defaultSpan: TimeInterval) throws -> DateInterval {
        let start = try date("start-date")
        let end = try date("end-date")
        if end != nil && start == nil {
            throw APIError.badRequest("end-date needs a start-date")
        }
        let until = end ?? Date()
        let from = start ?? until.addingTimeInterval(-defaultSpan)
        guard from < until else {
            throw APIError.badRequest("start-date must be before end-date")
        }
        guard until.timeIntervalSince(from) <= 90 * 86_400 else {
            throw APIError.badRequest("end-date may be at most 90 days after start-date")
        }
        return DateInterval(start: from, end: until)
    }

    func date(_ name: String) throws -> Date? {
        guard let text = text(name) else { return nil }
        for format in [Date.ISO8601FormatStyle(includingFractionalSeconds: true), Date.ISO8601FormatStyle()] {
            if let date = try? format.parse(text) { return date }
        }
        throw APIError.badRequest("\(name) must be a date-time like 2026-11-27T10:00:00Z; got \"\(text)\"")
    }
}
