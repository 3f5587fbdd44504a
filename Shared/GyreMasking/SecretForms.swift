/// Derives the byte patterns that reveal a secret value in build output.
///
/// For every secret of at least ``minimumSecretLength`` bytes this yields the raw
/// value, the lines of a multi-line value, and its base64, percent-encoded and
/// JSON-escaped forms. Everything here runs once per job, when a
/// ``SecretMasker`` is built; none of it is on the hot path.
enum SecretForms {
    /// Values (and lines, and encoded forms) shorter than this are not masked.
    static let minimumSecretLength = 4

    /// All distinct patterns for `secrets`, in a deterministic order, each at
    /// least ``minimumSecretLength`` bytes long.
    static func patterns(for secrets: [String]) -> [[UInt8]] {
        var seen = Set<[UInt8]>()
        var result: [[UInt8]] = []
        func add(_ pattern: [UInt8]) {
            guard pattern.count >= minimumSecretLength else { return }
            if seen.insert(pattern).inserted { result.append(pattern) }
        }
        for secret in secrets {
            let value = Array(secret.utf8)
            guard value.count >= minimumSecretLength else { continue }
            add(value)
            for line in lines(of: value) { add(line) }
            for form in base64Forms(of: value) { add(form) }
            for form in percentEncodedForms(of: value) { add(form) }
            for form in jsonEscapedForms(of: value) { add(form) }
        }
        return result
    }

    // MARK: Lines

    /// The lines of a multi-line value (split at `\n`, a trailing `\r` dropped
    /// so that `\r\n` counts as one break). Empty for a single-line value.
    static func lines(of value: [UInt8]) -> [[UInt8]] {
        guard value.contains(0x0A) else { return [] }
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        for byte in value {
            if byte == 0x0A {
                if line.last == 0x0D { line.removeLast() }
                lines.append(line)
                line.removeAll(keepingCapacity: true)
            } else {
                line.append(byte)
            }
        }
        if line.last == 0x0D { line.removeLast() }
        lines.append(line)
        return lines
    }

    // MARK: Base64

    static let standardAlphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 of `bytes`, with or without `=` padding.
    static func base64(_ bytes: [UInt8], padded: Bool) -> [UInt8] {
        let alphabet = standardAlphabet
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var i = 0
        while i + 3 <= bytes.count {
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            out.append(alphabet[Int(v & 63)])
            i += 3
        }
        switch bytes.count - i {
        case 1:
            let v = UInt32(bytes[i]) << 16
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            if padded { out.append(0x3D); out.append(0x3D) }
        case 2:
            let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            out.append(alphabet[Int(v >> 18 & 63)])
            out.append(alphabet[Int(v >> 12 & 63)])
            out.append(alphabet[Int(v >> 6 & 63)])
            if padded { out.append(0x3D) }
        default:
            break
        }
        return out
    }

    /// The part of `base64(prefix + bytes + suffix)` that depends only on
    /// `bytes`, for a prefix of `offset` bytes (0, 1 or 2): the characters whose
    /// six bits all come from `bytes`.
    static func base64Aligned(_ bytes: [UInt8], offset: Int) -> [UInt8] {
        let encoded = base64([UInt8](repeating: 0, count: offset) + bytes, padded: false)
        let firstBit = 8 * offset
        let endBit = 8 * (offset + bytes.count)
        let first = (firstBit + 5) / 6
        let end = endBit / 6
        guard end > first else { return [] }
        return Array(encoded[first..<end])
    }

    /// Maps the standard alphabet to the URL-safe one (`+` → `-`, `/` → `_`).
    static func urlSafe(_ base64: [UInt8]) -> [UInt8] {
        base64.map { $0 == 0x2B ? 0x2D : ($0 == 0x2F ? 0x5F : $0) }
    }

    /// Padded, unpadded and the three aligned inner forms, in both alphabets.
    static func base64Forms(of value: [UInt8]) -> [[UInt8]] {
        var forms = [base64(value, padded: true), base64(value, padded: false)]
        for offset in 0..<3 {
            let aligned = base64Aligned(value, offset: offset)
            if aligned.count >= minimumSecretLength { forms.append(aligned) }
        }
        return forms + forms.map(urlSafe)
    }

    // MARK: Percent-encoding

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x41...0x5A, 0x61...0x7A, 0x30...0x39, 0x2D, 0x2E, 0x5F, 0x7E: return true
        default: return false
        }
    }

    static let upperHex: [UInt8] = Array("0123456789ABCDEF".utf8)
    static let lowerHex: [UInt8] = Array("0123456789abcdef".utf8)

    /// Percent-encodes every byte outside `A-Za-z0-9-._~`.
    static func percentEncoded(_ value: [UInt8], uppercase: Bool, spaceAsPlus: Bool) -> [UInt8] {
        let hex = uppercase ? upperHex : lowerHex
        var out: [UInt8] = []
        out.reserveCapacity(value.count * 3)
        for byte in value {
            if isUnreserved(byte) {
                out.append(byte)
            } else if byte == 0x20 && spaceAsPlus {
                out.append(0x2B)
            } else {
                out.append(0x25)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            }
        }
        return out
    }

    /// Upper- and lowercase hex, each with space as `%20` and as `+`.
    static func percentEncodedForms(of value: [UInt8]) -> [[UInt8]] {
        var forms: [[UInt8]] = []
        for uppercase in [true, false] {
            for plus in [false, true] {
                forms.append(percentEncoded(value, uppercase: uppercase, spaceAsPlus: plus))
            }
        }
        return forms
    }

    // MARK: JSON

    /// The value as a JSON encoder writes it between the quotes of a string.
    ///
    /// - Parameters:
    ///   - escapeSlash: write `/` as `\/` (Foundation's `JSONEncoder` default).
    ///   - shortControls: write `\n \r \t \b \f` in their short form; otherwise
    ///     every control character is written `\u00XX`.
    ///   - uppercaseHex: the case of the hex digits in `\u00XX`.
    static func jsonEscaped(_ value: [UInt8], escapeSlash: Bool, shortControls: Bool, uppercaseHex: Bool) -> [UInt8] {
        let hex = uppercaseHex ? upperHex : lowerHex
        var out: [UInt8] = []
        out.reserveCapacity(value.count + 8)
        for byte in value {
            switch byte {
            case 0x22: out.append(0x5C); out.append(0x22)
            case 0x5C: out.append(0x5C); out.append(0x5C)
            case 0x2F where escapeSlash: out.append(0x5C); out.append(0x2F)
            case 0x0A where shortControls: out.append(0x5C); out.append(0x6E)
            case 0x0D where shortControls: out.append(0x5C); out.append(0x72)
            case 0x09 where shortControls: out.append(0x5C); out.append(0x74)
            case 0x08 where shortControls: out.append(0x5C); out.append(0x62)
            case 0x0C where shortControls: out.append(0x5C); out.append(0x66)
            case 0x00..<0x20:
                out.append(contentsOf: [0x5C, 0x75, 0x30, 0x30]) // \u00
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 15)])
            default:
                out.append(byte)
            }
        }
        return out
    }

    /// Every combination of the JSON escaping options (duplicates removed later).
    static func jsonEscapedForms(of value: [UInt8]) -> [[UInt8]] {
        var forms: [[UInt8]] = []
        for escapeSlash in [false, true] {
            for shortControls in [true, false] {
                for uppercaseHex in [false, true] {
                    forms.append(jsonEscaped(value, escapeSlash: escapeSlash, shortControls: shortControls, uppercaseHex: uppercaseHex))
                }
            }
        }
        return forms
    }
}
