import Foundation

/// Why a cron expression was rejected.
public struct CronError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        /// Not five whitespace-separated fields.
        case fieldCount
        /// A field that is not `*`, a number, a name, a range, a list or a step.
        case syntax
        /// A number outside the field's range (e.g. minute 60).
        case outOfRange
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// A POSIX cron schedule in UTC: `minute hour day-of-month month day-of-week`
/// with `*`, lists (`1,2`), ranges (`1-5`), steps (`*/15`, `1-5/2`, `3/10`) and
/// month / weekday names (`JAN`, `MON`). As in cron, when both day fields are
/// restricted a day matches if either matches; Sunday is 0 or 7.
public struct CronSchedule: Sendable, Equatable {
    public let expression: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public init(parsing expression: String) throws(CronError) {
        let fields = expression.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw CronError(.fieldCount, "cron \"\(expression)\" must have five fields (minute hour day-of-month month day-of-week), found \(fields.count)")
        }
        self.expression = expression
        minutes = try CronField.minute.parse(fields[0])
        hours = try CronField.hour.parse(fields[1])
        daysOfMonth = try CronField.dayOfMonth.parse(fields[2])
        months = try CronField.month.parse(fields[3])
        daysOfWeek = Set(try CronField.dayOfWeek.parse(fields[4]).map { $0 % 7 })
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    /// Whether the schedule fires in the minute containing `date`.
    public func matches(_ date: Date) -> Bool {
        let c = Self.calendar.dateComponents([.minute, .hour, .day, .month, .weekday], from: date)
        guard let minute = c.minute, let hour = c.hour else { return false }
        return minutes.contains(minute) && hours.contains(hour) && dayMatches(c)
    }

    /// The first minute strictly after `date` at which the schedule fires;
    /// `Date.distantFuture` for a schedule that never fires (e.g. `0 0 31 2 *`).
    public func next(after date: Date) -> Date {
        let cal = Self.calendar
        let start = floor(date.timeIntervalSinceReferenceDate / 60) * 60 + 60
        var current = Date(timeIntervalSinceReferenceDate: start)
        let limit = cal.date(byAdding: .year, value: 9, to: current) ?? .distantFuture
        while current < limit {
            let c = cal.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: current)
            guard let year = c.year, let month = c.month, let day = c.day,
                  let hour = c.hour, let minute = c.minute else { return .distantFuture }
            if !months.contains(month) {
                current = Self.date(cal, year, month + 1, 1, 0, 0)
            } else if !dayMatches(c) {
                current = Self.date(cal, year, month, day + 1, 0, 0)
            } else if !hours.contains(hour) {
                current = Self.date(cal, year, month, day, hour + 1, 0)
            } else if !minutes.contains(minute) {
                current = current.addingTimeInterval(60)
            } else {
                return current
            }
        }
        return .distantFuture
    }

    private func dayMatches(_ c: DateComponents) -> Bool {
        guard let day = c.day, let month = c.month, let weekday = c.weekday else { return false }
        guard months.contains(month) else { return false }
        let domOK = daysOfMonth.contains(day)
        let dowOK = daysOfWeek.contains(weekday - 1)
        if dayOfMonthRestricted && dayOfWeekRestricted { return domOK || dowOK }
        return domOK && dowOK
    }

    /// Components past their range (month 13, day 32, hour 24) roll over.
    private static func date(_ cal: Calendar, _ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int) -> Date {
        cal.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)) ?? .distantFuture
    }

    private static let calendar: Calendar = {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal
    }()

    public static func == (lhs: CronSchedule, rhs: CronSchedule) -> Bool {
        lhs.minutes == rhs.minutes && lhs.hours == rhs.hours && lhs.daysOfMonth == rhs.daysOfMonth
            && lhs.months == rhs.months && lhs.daysOfWeek == rhs.daysOfWeek
            && lhs.dayOfMonthRestricted == rhs.dayOfMonthRestricted
            && lhs.dayOfWeekRestricted == rhs.dayOfWeekRestricted
    }
}
