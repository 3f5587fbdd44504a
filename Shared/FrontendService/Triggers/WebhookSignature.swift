import Crypto
import Foundation

/// GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
enum WebhookSignature {
    enum Verdict: Equatable {
        case valid
        case missing
        case malformed
        case mismatch
    }

    static func sign(_ body: some DataProtocol, secret: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Checks the header against the body; the comparison takes the same time wherever the first difference is.
    static func verify(header: String?, body: some DataProtocol, secret: String) -> Verdict {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return .missing }
        guard header.lowercased().hasPrefix("sha256="), let given = hexBytes(header.dropFirst(7)), given.count == 32 else {
            return .malformed
        }
        let key = SymmetricKey(data: Data(secret.utf8))
        // HMAC.isValidAuthenticationCode compares in constant time.
        return HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: body, using: key) ? .valid : .mismatch
    }

    static func hexBytes(_ text: Substring) -> [UInt8]? {
        guard text.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count / 2)
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
            bytes.append(byte)
            index = next
        }
        return bytes
    }
}
