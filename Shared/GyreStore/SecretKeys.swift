import Crypto
import Foundation
import GyreSecrets
import Logging
import PostgresNIO
import Synchronization

/// Data keys for encryption at rest, kept in `data_keys` wrapped by the
/// operator's key-encryption key (KEK) and cached unwrapped in memory. One
/// active data key seals new values; older ones still open what they sealed.
/// A store given no KEK refuses to write secrets and to read sealed ones.
public final class SecretKeys: Sendable {
    let database: Database
    private let current: Mutex<KeyEncryptionKey>
    /// Reads the operator's key again (its file), for a data key re-wrapped under a newer KEK by `rotate-kek`.
    private let reload: (@Sendable () -> KeyEncryptionKey?)?
    private let cache = Mutex<[UUID: SymmetricKey]>([:])
    private let active = Mutex<UUID?>(nil)

    public init(database: Database, kek: KeyEncryptionKey, reload: (@Sendable () -> KeyEncryptionKey?)? = nil) {
        self.database = database
        current = Mutex(kek)
        self.reload = reload
    }

    /// The key-encryption key in use.
    public var kek: KeyEncryptionKey { current.withLock { $0 } }

    /// Unwraps a data key; when it does not open (re-wrapped under a newer KEK since this service started), reads
    /// the operator's key again and retries, so a rotation needs no restart.
    func unwrap(_ wrapped: String, id: UUID) throws -> SymmetricKey {
        let kek = self.kek
        do {
            return try SecretBox.unwrap(wrapped, id: id, kek: kek)
        } catch {
            if let fresh = reload?(), fresh.id != kek.id, let key = try? SecretBox.unwrap(wrapped, id: id, kek: fresh) {
                current.withLock { $0 = fresh }
                return key
            }
            throw StoreError(.noKey, "data key \(id) does not open with this service's key-encryption key \(kek.id) "
                             + "(re-wrapped by gyre admin rotate-kek? give this service the current key in GYRE_KEK_FILE)")
        }
    }

    static let lock: Int64 = 0x6779_6b79 // "gyky"

    /// Seals `value` for `associatedData` (its owner and name) under the active data key.
    public func seal(_ value: String, for associatedData: String) async throws -> String {
        let (id, key) = try await activeKey()
        return try SecretBox.seal(value, key: key, keyId: id, associatedData: associatedData)
    }

    /// Opens a sealed value (a value stored before encryption is returned as it is).
    public func open(_ text: String, for associatedData: String) async throws -> String {
        guard SecretBox.isSealed(text) else { return text }
        let id = try SecretBox.keyId(of: text)
        return try SecretBox.open(text, key: try await key(id), associatedData: associatedData)
    }

    func activeKey() async throws -> (UUID, SymmetricKey) {
        if let id = active.withLock({ $0 }), let key = cache.withLock({ $0[id] }) { return (id, key) }
        let (id, wrapped) = try await database.transaction { connection -> (UUID, String) in
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.lock))", database.logger)
            for try await row in try await connection.run(
                "SELECT id, wrapped FROM data_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1", database.logger
            ).decode((UUID, String).self) { return row }
            let id = UUID()
            let wrapped = try SecretBox.wrap(SymmetricKey(size: .bits256), id: id, kek: kek)
            try await connection.run("INSERT INTO data_keys (id, kek_id, wrapped) VALUES (\(id), \(kek.id), \(wrapped))",
                                     database.logger)
            return (id, wrapped)
        }
        let key = try unwrap(wrapped, id: id)
        cache.withLock { $0[id] = key }
        active.withLock { $0 = id }
        return (id, key)
    }

    func key(_ id: UUID) async throws -> SymmetricKey {
        if let key = cache.withLock({ $0[id] }) { return key }
        var wrapped: String?
        for try await text in try await database.query("SELECT wrapped FROM data_keys WHERE id = \(id)").decode(String.self) {
            wrapped = text
        }
        guard let wrapped else { throw StoreError(.corrupt, "data key \(id) is missing") }
        let key = try unwrap(wrapped, id: id)
        cache.withLock { $0[id] = key }
        return key
    }

    /// Re-wraps every data key under `newKEK` in one transaction (key rotation without downtime:
    /// services holding the old KEK keep their unwrapped keys; restart them with the new one). Returns how many.
    public func rewrap(to newKEK: KeyEncryptionKey) async throws -> Int {
        try await database.transaction { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(Self.lock))", database.logger)
            var rows: [(UUID, String)] = []
            for try await row in try await connection.run("SELECT id, wrapped FROM data_keys FOR UPDATE", database.logger)
                .decode((UUID, String).self) { rows.append(row) }
            for (id, wrapped) in rows {
                let key = try SecretBox.unwrap(wrapped, id: id, kek: kek)
                let rewrapped = try SecretBox.wrap(key, id: id, kek: newKEK)
                try await connection.run("UPDATE data_keys SET wrapped = \(rewrapped), kek_id = \(newKEK.id) WHERE id = \(id)",
                                         database.logger)
            }
            return rows.count
        }
    }
}

extension Optional where Wrapped == SecretKeys {
    /// The data keys, or the error a store answers when no key-encryption key is configured.
    func required() throws -> SecretKeys {
        guard let keys = self else {
            throw StoreError(.noKey, "no key-encryption key is configured (GYRE_KEK_FILE): secrets can be neither stored nor read")
        }
        return keys
    }
}

/// The owner-and-name strings sealed values are bound to.
public enum SecretOwner {
    public static func sshKey(project: String, fingerprint: String, hostname: String) -> String {
        "ssh-key|\(project)|\(fingerprint)|\(hostname)"
    }

    public static func webhookSecret(project: String) -> String { "webhook-secret|\(project)" }
}
