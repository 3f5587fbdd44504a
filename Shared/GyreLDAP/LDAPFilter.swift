/// Building search filters (RFC 4515) from untrusted input.
public enum LDAPFilter {
    /// Escapes an assertion value so it matches itself only: `*`, `(`, `)`, `\`
    /// and NUL become `\2a`, `\28`, `\29`, `\5c` and `\00`. Everything else, UTF-8
    /// included, is allowed verbatim by RFC 4515.
    public static func escape(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        for scalar in value.unicodeScalars {
            switch scalar {
            case "*": out += "\\2a"
            case "(": out += "\\28"
            case ")": out += "\\29"
            case "\\": out += "\\5c"
            case "\0": out += "\\00"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `(attribute=value)` with the value escaped. `attribute` must be valid
    /// (see ``isValidAttribute(_:)``): it comes from configuration, not users.
    public static func equality(_ attribute: String, _ value: String) -> String {
        "(\(attribute)=\(escape(value)))"
    }

    /// True for an attribute description a filter can name safely: a name
    /// (`mail`, `sAMAccountName`, `x-custom`) or a numeric OID (`0.9.2342.19200300.100.1.1`).
    public static func isValidAttribute(_ attribute: String) -> Bool {
        guard let first = attribute.unicodeScalars.first, first.isASCII else { return false }
        let scalars = attribute.unicodeScalars
        if first.properties.isAlphabetic {
            return scalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
        let parts = attribute.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count > 1 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }
    }
}
