/// `circleci-agent continue`: the request a setup job sends (through the
/// agent's socket) to continue its pipeline. Pure: main.swift sends it.
public enum Continuation {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public static let path = "/api/v2/pipeline/continue"
    public static let keyVariable = "CIRCLE_CONTINUATION_KEY"
    public static let socketVariable = "GYRE_API_SOCKET"

    /// The JSON body of `POST /api/v2/pipeline/continue`. `parameters` is a
    /// JSON object's text (checked to be one, then sent as it is).
    /// `more`: configurations the server merges over the first (Gyre's `configurations` extension).
    public static func body(key: String, configuration: String, parameters: String,
                            more: [String] = []) throws(Failure) -> String {
        let trimmed = parameters.trimmingCharacters(inSet: " \t\r\n")
        let object = trimmed.isEmpty ? "{}" : trimmed
        guard JSONShape.isObject(object) else {
            throw Failure("parameters must be a JSON object such as {\"run-tests\": true}, or the path of a file holding one; got \(String(object.prefix(80)))")
        }
        let extra = more.isEmpty ? "" : ",\"configurations\":[" + more.map(JSONShape.quote).joined(separator: ",") + "]"
        return "{\"continuation-key\":\(JSONShape.quote(key)),\"configuration\":\(JSONShape.quote(configuration)),\"parameters\":\(object)\(extra)}"
    }

    /// What the job's log says about the server's answer; exit status 0 only for 200.
    public static func outcome(status: Int, body: String) -> (message: String, exitCode: Int32) {
        let message = JSONShape.stringField("message", in: body) ?? String(body.prefix(500))
        if status == 200 { return ("Continuation successful: \(message)\n", 0) }
        return ("Continuation failed (HTTP \(status)): \(message)\n", 1)
    }

    /// A raw HTTP/1.1 request for a unix socket.
    public static func httpRequest(body: String) -> String {
        "POST \(path) HTTP/1.1\r\nHost: gyre\r\nContent-Type: application/json\r\nAccept: application/json\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }

    /// Status and body of a raw HTTP/1.1 response (`Content-Length` or
    /// chunked bodies, or a body read until the connection closed).
    public static func parseResponse(_ bytes: [UInt8]) -> (status: Int, body: String)? {
        let crlf: [UInt8] = [13, 10]
        guard let split = bytes.firstRange(of: crlf + crlf) else { return nil }
        let head = String(decoding: bytes[..<split.lowerBound], as: UTF8.self)
        var body = Array(bytes[split.upperBound...])
        let lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        let statusParts = lines.first?.split(separator: " ") ?? []
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { return nil }
        let chunked = lines.dropFirst().contains {
            $0.lowercased().hasPrefix("transfer-encoding:") && $0.lowercased().contains("chunked")
        }
        if chunked { body = dechunk(body) }
        return (status, String(decoding: body, as: UTF8.self))
    }

    static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        let crlf: [UInt8] = [13, 10]
        var result: [UInt8] = []
        var rest = bytes[...]
        while let lineEnd = rest.firstRange(of: crlf) {
            let sizeText = String(decoding: rest[..<lineEnd.lowerBound], as: UTF8.self)
                .split(separator: ";").first.map { String($0).trimmingCharacters(inSet: " ") } ?? ""
            guard let size = Int(sizeText, radix: 16), size > 0 else { break }
            let start = lineEnd.upperBound
            guard rest.endIndex - start >= size else { break }
            result += rest[start..<start + size]
            rest = rest[(start + size)...]
            if rest.starts(with: crlf) { rest = rest.dropFirst(2) }
        }
        return result
    }
}

/// Just enough JSON for the in-job tools (no Foundation in this binary).
enum JSONShape {
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// A JSON literal: true, false, null, a number or a string (as the path-filtering orb's values are).
    static func isLiteral(_ text: String) -> Bool {
        if ["true", "false", "null"].contains(text) { return true }
        if text.count >= 2, text.hasPrefix("\""), text.hasSuffix("\"") { return isString(text) }
        var scanner = Substring(text)
        if scanner.hasPrefix("-") { scanner = scanner.dropFirst() }
        guard let first = scanner.first, first.isASCII, first.isNumber else { return false }
        return scanner.allSatisfy { $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) }
    }

    static func isString(_ text: String) -> Bool {
        let inner = text.dropFirst().dropLast()
        var escaped = false
        for character in inner {
            if escaped { escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { return false }
        }
        return !escaped
    }

    /// `{...}` with balanced braces outside strings.
    static func isObject(_ text: String) -> Bool {
        guard text.hasPrefix("{"), text.hasSuffix("}") else { return false }
        var depth = 0
        var inString = false
        var escaped = false
        for character in text {
            if inString {
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"": inString = true
            case "{", "[": depth += 1
            case "}", "]":
                depth -= 1
                if depth < 0 { return false }
            default: break
            }
        }
        return depth == 0 && !inString
    }

    /// The string value of a top-level `"name": "..."` field, unescaped simply.
    static func stringField(_ name: String, in json: String) -> String? {
        guard let key = json.firstRange(of: "\"\(name)\"") else { return nil }
        var rest = json[key.upperBound...].drop { $0 == " " || $0 == ":" }
        guard rest.first == "\"" else { return nil }
        rest = rest.dropFirst()
        var value = ""
        var escaped = false
        for character in rest {
            if escaped {
                value.append(character == "n" ? "\n" : character == "t" ? "\t" : character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "\"" {
                return value
            } else {
                value.append(character)
            }
        }
        return nil
    }
}

extension String {
    public func trimmingCharacters(inSet set: String) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

extension Substring {
    public func trimmingCharacters(inSet set: String) -> String { String(self).trimmingCharacters(inSet: set) }
}
