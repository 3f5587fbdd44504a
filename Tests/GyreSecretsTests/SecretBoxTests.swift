import Crypto
import Foundation
import GyreSecrets
import Testing

/// Sealing at rest: values open only with their data key and their owner's
/// name; data keys open only with the key-encryption key that wrapped them.
@Suite struct SecretBoxTests {
    let key = SymmetricKey(size: .bits256)
    let id = UUID()

    @Test func aSealedValueOpensForItsOwnerOnly() throws {
        let sealed = try SecretBox.seal("-----BEGIN KEY-----\nabc\n", key: key, keyId: id, associatedData: "ssh-key|gh/a/b|aa:bb|")
        #expect(SecretBox.isSealed(sealed) && !sealed.contains("BEGIN KEY"))
        #expect(try SecretBox.keyId(of: sealed) == id)
        #expect(try SecretBox.open(sealed, key: key, associatedData: "ssh-key|gh/a/b|aa:bb|") == "-----BEGIN KEY-----\nabc\n")
        // Copied to another project's row, it does not open.
        #expect(throws: SecretBox.Failure.self) { try SecretBox.open(sealed, key: key, associatedData: "ssh-key|gh/a/c|aa:bb|") }
        // Nor with another key, nor tampered with.
        #expect(throws: SecretBox.Failure.self) {
            try SecretBox.open(sealed, key: SymmetricKey(size: .bits256), associatedData: "ssh-key|gh/a/b|aa:bb|")
        }
        var bytes = Array(sealed)
        // A character well inside the base64 text (the last ones may carry padding bits that decoding ignores).
        bytes[bytes.count - 10] = bytes[bytes.count - 10] == "A" ? "B" : "A"
        #expect(throws: SecretBox.Failure.self) { try SecretBox.open(String(bytes), key: key, associatedData: "ssh-key|gh/a/b|aa:bb|") }
        // The same value seals differently each time (a fresh nonce).
        #expect(try SecretBox.seal("x", key: key, keyId: id, associatedData: "a") != SecretBox.seal("x", key: key, keyId: id, associatedData: "a"))
    }

    @Test func dataKeysOpenOnlyWithTheirKEK() throws {
        let kek = try KeyEncryptionKey(base64: KeyEncryptionKey.generate())
        let other = try KeyEncryptionKey(base64: KeyEncryptionKey.generate())
        let wrapped = try SecretBox.wrap(key, id: id, kek: kek)
        let unwrapped = try SecretBox.unwrap(wrapped, id: id, kek: kek)
        #expect(unwrapped.withUnsafeBytes { Data($0) } == key.withUnsafeBytes { Data($0) })
        #expect(throws: SecretBox.Failure.self) { try SecretBox.unwrap(wrapped, id: id, kek: other) }
        #expect(throws: SecretBox.Failure.self) { try SecretBox.unwrap(wrapped, id: UUID(), kek: kek) }
        #expect(kek.id.count == 16 && kek.id != other.id)
    }

    @Test func theKEKComesFromAFileOrTheEnvironmentAndMustBe32Bytes() throws {
        #expect(try KeyEncryptionKey.fromEnvironment([:]) == nil)
        #expect(throws: SecretBox.Failure.self) { try KeyEncryptionKey.fromEnvironment(["GYRE_KEK": "c2hvcnQ="]) }
        #expect(throws: SecretBox.Failure.self) { try KeyEncryptionKey.fromEnvironment(["GYRE_KEK_FILE": "/nonexistent/kek"]) }
        let path = NSTemporaryDirectory() + "kek-\(UUID())"
        let text = KeyEncryptionKey.generate()
        try (text + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let fromFile = try #require(try KeyEncryptionKey.fromEnvironment(["GYRE_KEK_FILE": path]))
        #expect(fromFile.id == (try KeyEncryptionKey(base64: text)).id)
    }
}
