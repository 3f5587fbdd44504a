import Crypto
import Foundation

/// Encryption at rest, without I/O: AES-256-GCM (swift-crypto). Each value is
/// sealed under a data key with associated data naming its owner and name, so
/// a ciphertext copied to another row does not open; data keys are themselves
/// sealed ("wrapped") under the operator's key-encryption key (KEK).
///
/// A sealed value reads `gyre:v1:<data key id>:<base64 nonce‖ciphertext‖tag>`.
public enum SecretBox {
    public static let prefix = "gyre:v1:"

    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    /// True for text this box sealed (anything else is a value stored before encryption).
    public static func isSealed(_ text: String) -> Bool { text.hasPrefix(prefix) }

    public static func seal(_ value: String, key: SymmetricKey, keyId: UUID, associatedData: String) throws -> String {
        let box = try AES.GCM.seal(Data(value.utf8), using: key, authenticating: Data(associatedData.utf8))
        guard let combined = box.combined else { throw Failure("AES-GCM gave no combined form") }
        return "\(prefix)\(keyId.uuidString.lowercased()):\(combined.base64EncodedString())"
    }

    /// The data key id a sealed value names.
    public static func keyId(of text: String) throws -> UUID {
        let parts = text.dropFirst(prefix.count).split(separator: ":", maxSplits: 1)
        guard isSealed(text), parts.count == 2, let id = UUID(uuidString: String(parts[0])) else {
            throw Failure("not a sealed value")
        }
        return id
    }

    public static func open(_ text: String, key: SymmetricKey, associatedData: String) throws -> String {
        let parts = text.dropFirst(prefix.count).split(separator: ":", maxSplits: 1)
        guard isSealed(text), parts.count == 2, let combined = Data(base64Encoded: String(parts[1])) else {
            throw Failure("not a sealed value")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plain = try AES.GCM.open(box, using: key, authenticating: Data(associatedData.utf8))
            return String(decoding: plain, as: UTF8.self)
        } catch {
            throw Failure("the value does not open with its data key for \(associatedData) (copied from another row, or tampered with)")
        }
    }

    /// A data key sealed under the KEK (associated data: the data key's id), base64.
    public static func wrap(_ dataKey: SymmetricKey, id: UUID, kek: KeyEncryptionKey) throws -> String {
        let raw = dataKey.withUnsafeBytes { Data($0) }
        let box = try AES.GCM.seal(raw, using: kek.key, authenticating: Data("data-key:\(id.uuidString.lowercased())".utf8))
        guard let combined = box.combined else { throw Failure("AES-GCM gave no combined form") }
        return combined.base64EncodedString()
    }

    public static func unwrap(_ wrapped: String, id: UUID, kek: KeyEncryptionKey) throws -> SymmetricKey {
        guard let combined = Data(base64Encoded: wrapped) else { throw Failure("data key \(id) is not base64") }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let raw = try AES.GCM.open(box, using: kek.key, authenticating: Data("data-key:\(id.uuidString.lowercased())".utf8))
            return SymmetricKey(data: raw)
        } catch {
            throw Failure("data key \(id) does not open with key-encryption key \(kek.id): a wrong GYRE_KEK_FILE?")
        }
    }
}

/// The operator's key-encryption key: 32 random bytes, base64, from `GYRE_KEK_FILE` (a file, preferred) or
/// `GYRE_KEK`. Its id (the first 16 hex digits of its SHA-256) names it in the data key table, never the key.
public struct KeyEncryptionKey: Sendable {
    public let key: SymmetricKey
    public let id: String

    public init(base64 text: String) throws {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32 else {
            throw SecretBox.Failure("a key-encryption key is 32 random bytes in base64 (e.g. `head -c 32 /dev/urandom | base64`)")
        }
        key = SymmetricKey(data: raw)
        id = SHA256.hash(data: raw).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// nil when neither variable is set.
    public static func fromEnvironment(_ env: [String: String]) throws -> KeyEncryptionKey? {
        if let path = env["GYRE_KEK_FILE"], !path.isEmpty {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw SecretBox.Failure("GYRE_KEK_FILE: cannot read \(path)")
            }
            do { return try KeyEncryptionKey(base64: text) } catch { throw SecretBox.Failure("GYRE_KEK_FILE: \(error)") }
        }
        if let text = env["GYRE_KEK"], !text.isEmpty {
            do { return try KeyEncryptionKey(base64: text) } catch { throw SecretBox.Failure("GYRE_KEK: \(error)") }
        }
        return nil
    }

    /// A new random key, base64 (for `gyre local up` and tests).
    public static func generate() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString()
    }
}
