/// Parses durations such as `no_output_timeout`: `10m`, `30s`, `1h`, `1h30m`,
/// `1.5h`, or a bare number of seconds (`45`).
struct DurationParser {
    /// Longer durations are refused (about 68 years; keeps the value in an `Int32`).
    static let maxSeconds = Int(Int32.max)

    /// The duration in `node` in whole seconds, or nil after reporting.
    func seconds(_ node: ConfigNode) -> Int? {
        guard let text = node.string(expected: "a duration such as 10m, 30s or 1h30m") else { return nil }
        guard let seconds = Self.seconds(from: text) else {
            node.diagnostics.invalid(node.path,
                                     "invalid duration \"\(text)\"; expected e.g. 10m, 30s, 1h30m or a number of seconds")
            return nil
        }
        return seconds
    }

    /// Whole seconds (rounded), or nil unless `text` is a positive duration.
    static func seconds(from text: String) -> Int? {
        let text = text.trimmingSpaces()
        guard !text.isEmpty else { return nil }
        if text.allSatisfy(\.isASCIIDigit) {
            guard let value = Int(text), value > 0, value <= maxSeconds else { return nil }
            return value
        }
        var total = 0.0
        var number = ""
        for character in text {
            if character.isASCIIDigit || character == "." {
                number.append(character)
                continue
            }
            let unit: Double
            switch character {
            case "h": unit = 3600
            case "m": unit = 60
            case "s": unit = 1
            default: return nil
            }
            guard let value = Double(number), value.isFinite else { return nil }
            total += value * unit
            number = ""
        }
        guard number.isEmpty, total.isFinite else { return nil }
        let rounded = total.rounded()
        guard rounded >= 1, rounded <= Double(maxSeconds) else { return nil }
        return Int(rounded)
    }
}

private extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

private extension String {
    func trimmingSpaces() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
