import Foundation

/// The audit log as CSV (RFC 4180): a header row of the field names, one row
/// per event; nested fields (actor, target, scope, payload, metadata,
/// request) are JSON blobs. A field holding a comma, a quote or a line break
/// is quoted, its quotes doubled.
public enum AuditCSV {
    public static var header: String { AuditEvent.fieldNames.joined(separator: ",") + "\r\n" }

    public static func row(_ event: AuditEvent) -> String {
        let fields: [String] = [
            event.id.uuidString.lowercased(),
            event.action,
            json(event.actor),
            json(event.target),
            event.scope.map(json) ?? "",
            json(event.payload),
            json(event.metadata),
            AuditTimestamp.format(event.occurredAt),
            String(event.version),
            event.success ? "true" : "false",
            event.request.map(json) ?? "",
        ]
        return fields.map(quote).joined(separator: ",") + "\r\n"
    }

    public static func quote(_ field: String) -> String {
        // By bytes: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    /// Splits CSV text into rows of fields (quoted fields may hold commas, quotes and line breaks).
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" {
                        field.append("\"")
                        chars.removeFirst()
                    } else {
                        quoted = false
                    }
                } else {
                    field.append(c)
                }
            } else if c == "\"" {
                quoted = true
            } else if c == "," {
                row.append(field)
                field = ""
            } else if c == "\r\n" || c == "\n" || c == "\r" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else {
                field.append(c)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
