/// The project's recorded test times, as the agent writes them for the job
/// (`CIRCLE_INTERNAL_TEST_TIMINGS`): `{"files":{...},"classnames":{...},"names":{...}}`,
/// each mapping a name to seconds.
public struct TimingsFile: Sendable, Equatable {
    public var files: [String: Double] = [:]
    public var classnames: [String: Double] = [:]
    public var names: [String: Double] = [:]

    public init(files: [String: Double] = [:], classnames: [String: Double] = [:], names: [String: Double] = [:]) {
        self.files = files
        self.classnames = classnames
        self.names = names
    }

    /// Parses the JSON; nil when it is not a JSON object.
    public init?(json: [UInt8]) {
        var parser = JSONScanner(json)
        guard case .object(let top)? = try? parser.document() else { return nil }
        func table(_ key: String) -> [String: Double] {
            guard case .object(let entries)? = top[key] else { return [:] }
            var result: [String: Double] = [:]
            for (name, value) in entries {
                if case .number(let seconds) = value { result[TestSplitter.normalized(name)] = seconds }
            }
            return result
        }
        files = table("files")
        classnames = table("classnames")
        names = table("names")
    }

    public func table(for type: TimingsType) -> [String: Double] {
        switch type {
        case .filename: return files
        case .classname: return classnames
        case .testname: return names
        }
    }
}

/// `--timings-type`.
public enum TimingsType: String, Sendable {
    case filename, classname, testname
}

/// A small JSON reader (enough for the timings file) without Foundation.
struct JSONScanner {
    indirect enum Value: Equatable {
        case object([String: Value]), array([Value]), string(String), number(Double), bool(Bool), null
    }

    struct Malformed: Error {}

    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func document() throws -> Value {
        let value = try parseValue()
        skipSpace()
        guard position == bytes.count else { throw Malformed() }
        return value
    }

    private mutating func skipSpace() {
        while position < bytes.count, [0x20, 0x0a, 0x0d, 0x09].contains(bytes[position]) { position += 1 }
    }

    private mutating func expect(_ byte: UInt8) throws {
        skipSpace()
        guard position < bytes.count, bytes[position] == byte else { throw Malformed() }
        position += 1
    }

    private mutating func parseValue() throws -> Value {
        skipSpace()
        guard position < bytes.count else { throw Malformed() }
        switch bytes[position] {
        case UInt8(ascii: "{"):
            position += 1
            var object: [String: Value] = [:]
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
                position += 1
                return .object(object)
            }
            while true {
                skipSpace()
                let key = try parseString()
                try expect(UInt8(ascii: ":"))
                object[key] = try parseValue()
                skipSpace()
                guard position < bytes.count else { throw Malformed() }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "}"))
                return .object(object)
            }
        case UInt8(ascii: "["):
            position += 1
            var array: [Value] = []
            skipSpace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
                position += 1
                return .array(array)
            }
            while true {
                array.append(try parseValue())
                skipSpace()
                guard position < bytes.count else { throw Malformed() }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                try expect(UInt8(ascii: "]"))
                return .array(array)
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default:
            return .number(try parseNumber())
        }
    }

    private mutating func literal(_ word: String) throws {
        for byte in word.utf8 {
            guard position < bytes.count, bytes[position] == byte else { throw Malformed() }
            position += 1
        }
    }

    private mutating func parseNumber() throws -> Double {
        let start = position
        while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
        guard let number = Double(String(decoding: bytes[start..<position], as: UTF8.self)) else { throw Malformed() }
        return number
    }

    private mutating func parseString() throws -> String {
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw Malformed() }
        position += 1
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() {
            scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars)
            raw.removeAll()
        }
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") {
                flush()
                return String(scalars)
            }
            guard byte == UInt8(ascii: "\\") else { raw.append(byte); continue }
            guard position < bytes.count else { throw Malformed() }
            let escape = bytes[position]
            position += 1
            switch escape {
            case UInt8(ascii: "n"): raw.append(0x0a)
            case UInt8(ascii: "t"): raw.append(0x09)
            case UInt8(ascii: "r"): raw.append(0x0d)
            case UInt8(ascii: "b"): raw.append(0x08)
            case UInt8(ascii: "f"): raw.append(0x0c)
            case UInt8(ascii: "u"):
                guard position + 4 <= bytes.count,
                      let code = UInt32(String(decoding: bytes[position..<position + 4], as: UTF8.self), radix: 16) else {
                    throw Malformed()
                }
                position += 4
                flush()
                var value = code
                // A surrogate pair.
                if (0xD800..<0xDC00).contains(code), position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                   bytes[position + 1] == UInt8(ascii: "u"),
                   let low = UInt32(String(decoding: bytes[position + 2..<position + 6], as: UTF8.self), radix: 16),
                   (0xDC00..<0xE000).contains(low) {
                    value = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    position += 6
                }
                scalars.append(Unicode.Scalar(value) ?? "\u{FFFD}")
            default: raw.append(escape)
            }
        }
        throw Malformed()
    }
}
