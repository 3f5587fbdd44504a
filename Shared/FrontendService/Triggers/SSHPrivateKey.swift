import Crypto
import Foundation

/// Reads an unencrypted private key (OpenSSH format, or PEM RSA / EC) far
/// enough to know its public key, from which the fingerprints come.
struct SSHPrivateKey: Equatable {
    struct Failure: Error, Equatable {
        var message: String
    }

    /// `ssh-ed25519`, `ssh-rsa`, `ecdsa-sha2-nistp256`, ...
    var type: String
    /// The SSH wire-format public key blob.
    var publicBlob: [UInt8]

    /// MD5 of the blob, colon-separated hex, as CircleCI shows fingerprints.
    var md5Fingerprint: String {
        Insecure.MD5.hash(data: publicBlob).map { String(format: "%02x", $0) }.joined(separator: ":")
    }

    /// `SHA256:<base64, unpadded>`, as `ssh-keygen -l` shows it.
    var sha256Fingerprint: String {
        "SHA256:" + Data(SHA256.hash(data: publicBlob)).base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// The `authorized_keys` line.
    var publicKey: String { "\(type) \(Data(publicBlob).base64EncodedString())" }

    static let unsupported = Failure(message:
        "private_key must be an unencrypted private key in OpenSSH format (BEGIN OPENSSH PRIVATE KEY) or PEM RSA/EC format; "
        + "remove a passphrase with ssh-keygen -p -N '' -f KEY")

    init(type: String, publicBlob: [UInt8]) {
        self.type = type
        self.publicBlob = publicBlob
    }

    init(pem text: String) throws(Failure) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let label = Self.label(trimmed) else { throw Self.unsupported }
        if trimmed.contains("Proc-Type: 4,ENCRYPTED") {
            throw Failure(message: "the private key is protected by a passphrase; CircleCI-style keys must not be: remove it with ssh-keygen -p -N '' -f KEY")
        }
        let body = trimmed.split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("-----") && !$0.contains(":") }
            .joined()
        guard let der = Data(base64Encoded: body).map(Array.init) else { throw Self.unsupported }
        switch label {
        case "OPENSSH PRIVATE KEY": self = try Self.openSSH(der)
        case "RSA PRIVATE KEY": self = try Self.pkcs1RSA(der)
        case "EC PRIVATE KEY": self = try Self.sec1EC(der)
        default: throw Self.unsupported
        }
    }

    static func label(_ text: String) -> String? {
        guard text.hasPrefix("-----BEGIN "), let end = text.range(of: "-----", range: text.index(text.startIndex, offsetBy: 11)..<text.endIndex)
        else { return nil }
        return String(text[text.index(text.startIndex, offsetBy: 11)..<end.lowerBound])
    }

    // MARK: OpenSSH: "openssh-key-v1\0", cipher, kdf, kdf options, key count, public blobs, private section.

    static func openSSH(_ bytes: [UInt8]) throws(Failure) -> SSHPrivateKey {
        let magic = Array("openssh-key-v1\u{0}".utf8)
        guard bytes.starts(with: magic) else { throw unsupported }
        var reader = WireReader(bytes: bytes, position: magic.count)
        guard let cipher = reader.string(), let _ = reader.string(), let _ = reader.string(), let count = reader.uint32(),
              count >= 1, let blob = reader.string() else { throw unsupported }
        guard String(decoding: cipher, as: UTF8.self) == "none" else {
            throw Failure(message: "the private key is protected by a passphrase; CircleCI-style keys must not be: remove it with ssh-keygen -p -N '' -f KEY")
        }
        var inner = WireReader(bytes: blob, position: 0)
        guard let type = inner.string() else { throw unsupported }
        return SSHPrivateKey(type: String(decoding: type, as: UTF8.self), publicBlob: blob)
    }

    // MARK: PEM RSA (PKCS #1): SEQUENCE { version, n, e, ... } → string "ssh-rsa", mpint e, mpint n.

    static func pkcs1RSA(_ der: [UInt8]) throws(Failure) -> SSHPrivateKey {
        var outer = DERReader(bytes: der)
        guard let sequence = outer.next(tag: 0x30) else { throw unsupported }
        var fields = DERReader(bytes: sequence)
        guard fields.next(tag: 0x02) != nil, let modulus = fields.next(tag: 0x02), let exponent = fields.next(tag: 0x02)
        else { throw unsupported }
        var blob: [UInt8] = []
        WireReader.append(string: Array("ssh-rsa".utf8), to: &blob)
        WireReader.append(string: mpint(exponent), to: &blob)
        WireReader.append(string: mpint(modulus), to: &blob)
        return SSHPrivateKey(type: "ssh-rsa", publicBlob: blob)
    }

    /// A DER INTEGER's content as an SSH mpint: no redundant leading zeros, one zero before a set high bit.
    static func mpint(_ integer: [UInt8]) -> [UInt8] {
        var bytes = Array(integer.drop { $0 == 0 })
        if let first = bytes.first, first & 0x80 != 0 { bytes.insert(0, at: 0) }
        return bytes
    }

    // MARK: PEM EC (SEC 1): SEQUENCE { 1, OCTET STRING d, [0] curve OID, [1] BIT STRING Q }.

    static let curves: [[UInt8]: String] = [
        [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]: "nistp256",
        [0x2b, 0x81, 0x04, 0x00, 0x22]: "nistp384",
        [0x2b, 0x81, 0x04, 0x00, 0x23]: "nistp521",
    ]

    static func sec1EC(_ der: [UInt8]) throws(Failure) -> SSHPrivateKey {
        var outer = DERReader(bytes: der)
        guard let sequence = outer.next(tag: 0x30) else { throw unsupported }
        var fields = DERReader(bytes: sequence)
        guard fields.next(tag: 0x02) != nil, fields.next(tag: 0x04) != nil,
              let parameters = fields.next(tag: 0xa0), let publicKey = fields.next(tag: 0xa1) else { throw unsupported }
        var oidReader = DERReader(bytes: parameters)
        var bitsReader = DERReader(bytes: publicKey)
        guard let oid = oidReader.next(tag: 0x06), let curve = curves[oid], let bits = bitsReader.next(tag: 0x03),
              bits.first == 0 else {
            throw Failure(message: "the EC private key uses a curve SSH does not support (nistp256, nistp384, nistp521 are)")
        }
        let type = "ecdsa-sha2-\(curve)"
        var blob: [UInt8] = []
        WireReader.append(string: Array(type.utf8), to: &blob)
        WireReader.append(string: Array(curve.utf8), to: &blob)
        WireReader.append(string: Array(bits.dropFirst()), to: &blob)
        return SSHPrivateKey(type: type, publicBlob: blob)
    }
}
