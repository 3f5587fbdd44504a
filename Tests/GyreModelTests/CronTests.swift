import Foundation
import GyreModel
import Testing

struct CronTests {
    /// `2026-11-22 17:35` style UTC timestamps.
    func utc(_ text: String) -> Date {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm"
        return formatter.date(from: text)!
    }

    func next(_ cron: String, after: String) throws -> Date {
        try CronSchedule(parsing: cron).next(after: utc(after))
    }

    @Test func everyMinuteFiresAtTheNextWholeMinute() throws {
        let schedule = try CronSchedule(parsing: "* * * * *")
        let after = utc("2026-11-22 17:35").addingTimeInterval(12)
        #expect(schedule.next(after: after) == utc("2026-11-22 17:36"))
        #expect(schedule.next(after: utc("2026-11-22 17:35")) == utc("2026-11-22 17:36"))
    }

    @Test func stepsRangesAndLists() throws {
        #expect(try next("*/15 * * * *", after: "2026-11-22 17:35") == utc("2026-11-22 17:45"))
        #expect(try next("*/15 * * * *", after: "2026-11-22 17:50") == utc("2026-11-22 18:00"))
        #expect(try next("5,10 3 * * *", after: "2026-11-22 03:05") == utc("2026-11-22 03:10"))
        #expect(try next("5,10 3 * * *", after: "2026-11-22 03:10") == utc("2026-11-23 03:05"))
        #expect(try next("0 1-5/2 * * *", after: "2026-11-22 01:00") == utc("2026-11-22 03:00"))
        #expect(try next("0 1-5/2 * * *", after: "2026-11-22 05:00") == utc("2026-11-23 01:00"))
        #expect(try next("10/20 * * * *", after: "2026-11-22 17:35") == utc("2026-11-22 17:50"))
    }

    @Test func monthsAndWeekdaysByNumberOrName() throws {
        // 2026-11-22 is a Sunday.
        #expect(try next("0 0 * * MON", after: "2026-11-22 17:35") == utc("2026-11-23 00:00"))
        #expect(try next("0 0 * * 1-5", after: "2026-11-27 12:00") == utc("2026-11-30 00:00"))
        #expect(try next("0 0 * * 0", after: "2026-11-22 17:35") == utc("2026-11-29 00:00"))
        #expect(try next("0 0 * * 7", after: "2026-11-22 17:35") == utc("2026-11-29 00:00"))
        #expect(try next("0 12 1 JAN *", after: "2026-11-22 17:35") == utc("2027-01-01 12:00"))
        #expect(try next("30 6 15 2,mar *", after: "2026-11-22 17:35") == utc("2027-02-15 06:30"))
    }

    @Test func restrictedDayFieldsMatchEither() throws {
        // Day 25 (Wednesday) or any Monday: Monday the 23rd comes first.
        #expect(try next("0 0 25 * MON", after: "2026-11-22 17:35") == utc("2026-11-23 00:00"))
        #expect(try next("0 0 25 * MON", after: "2026-11-23 00:00") == utc("2026-11-25 00:00"))
    }

    @Test func leapDayAndImpossibleDates() throws {
        #expect(try next("0 0 29 2 *", after: "2026-11-22 17:35") == utc("2028-02-29 00:00"))
        #expect(try next("0 0 31 2 *", after: "2026-11-22 17:35") == .distantFuture)
        #expect(try next("0 0 31 * *", after: "2026-11-22 17:35") == utc("2026-12-31 00:00"))
    }

    @Test func matchesTheMinutesItFiresIn() throws {
        let schedule = try CronSchedule(parsing: "0 9 * * 1-5")
        #expect(schedule.matches(utc("2026-11-23 09:00").addingTimeInterval(30)))
        #expect(!schedule.matches(utc("2026-11-22 09:00")))
        #expect(!schedule.matches(utc("2026-11-23 09:01")))
    }

    @Test(arguments: [
        ("* * * *", CronError.Code.fieldCount),
        ("* * * * * *", .fieldCount),
        ("60 * * * *", .outOfRange),
        ("* 24 * * *", .outOfRange),
        ("* * 0 * *", .outOfRange),
        ("* * * 13 *", .outOfRange),
        ("* * * * 8", .outOfRange),
        ("*/0 * * * *", .syntax),
        ("5-1 * * * *", .syntax),
        ("a * * * *", .syntax),
        ("1,,2 * * * *", .syntax),
        ("* * * FOO *", .syntax),
    ])
    func rejectsBadExpressions(_ cron: String, _ code: CronError.Code) {
        #expect(throws: CronError.self) { try CronSchedule(parsing: cron) }
        do {
            _ = try CronSchedule(parsing: cron)
        } catch {
            #expect(error.code == code)
            #expect(!error.message.isEmpty)
        }
    }

    @Test func equalSchedulesCompareEqual() throws {
        #expect(try CronSchedule(parsing: "0 0 * * 7") == CronSchedule(parsing: "0 0 * * 0"))
        #expect(try CronSchedule(parsing: "0 0 * * *") != CronSchedule(parsing: "0 1 * * *"))
    }
}
