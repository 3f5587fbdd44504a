/// One of the five cron fields: its name, range and optional names.
struct CronField: Sendable {
    let name: String
    let range: ClosedRange<Int>
    let names: [String: Int]

    static let minute = CronField(name: "minute", range: 0...59, names: [:])
    static let hour = CronField(name: "hour", range: 0...23, names: [:])
    static let dayOfMonth = CronField(name: "day-of-month", range: 1...31, names: [:])
    static let month = CronField(name: "month", range: 1...12, names: Dictionary(uniqueKeysWithValues:
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
            .enumerated().map { ($1, $0 + 1) }))
    static let dayOfWeek = CronField(name: "day-of-week", range: 0...7, names: Dictionary(uniqueKeysWithValues:
        ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"].enumerated().map { ($1, $0) }))

    /// The set of values `text` selects, e.g. `1-10/3,20` → {1, 4, 7, 10, 20}.
    func parse(_ text: String) throws(CronError) -> Set<Int> {
        var values = Set<Int>()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            for value in try parseItem(String(item)) { values.insert(value) }
        }
        return values
    }

    private func parseItem(_ item: String) throws(CronError) -> StrideThrough<Int> {
        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let base = parts.first, !base.isEmpty else {
            throw CronError(.syntax, "cron \(name) field: \"\(item)\" is not a value, range or step")
        }
        var step = 1
        if parts.count == 2 {
            guard let s = Int(parts[1]), s > 0 else {
                throw CronError(.syntax, "cron \(name) field: step in \"\(item)\" must be a positive number")
            }
            step = s
        }
        let lower: Int
        var upper: Int
        if base == "*" {
            lower = range.lowerBound
            upper = range.upperBound
            if self.name == CronField.dayOfWeek.name { upper = 6 }
        } else if let dash = base.firstIndex(of: "-") {
            lower = try value(String(base[..<dash]), in: item)
            upper = try value(String(base[base.index(after: dash)...]), in: item)
            guard lower <= upper else {
                throw CronError(.syntax, "cron \(name) field: range \"\(base)\" goes backwards")
            }
        } else {
            lower = try value(String(base), in: item)
            upper = parts.count == 2 ? range.upperBound : lower
        }
        return stride(from: lower, through: upper, by: step)
    }

    private func value(_ text: String, in item: String) throws(CronError) -> Int {
        if let named = names[text.uppercased()] { return named }
        guard let number = Int(text) else {
            throw CronError(.syntax, "cron \(name) field: \"\(text)\" in \"\(item)\" is not a number")
        }
        guard range.contains(number) else {
            throw CronError(.outOfRange, "cron \(name) field: \(number) is outside \(range.lowerBound)-\(range.upperBound)")
        }
        return number
    }
}
