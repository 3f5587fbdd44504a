import Foundation
import GyreModel
import Logging
import PostgresNIO

/// A project SSH key for the `add_ssh_keys` step.
public struct SSHKeyRecord: Sendable, Equatable {
    /// MD5 of the public key blob, colon-separated hex (`aa:bb:...`), as CircleCI shows it.
    public var fingerprint: String
    /// `SHA256:<base64 without padding>`, as `ssh-keygen -l` shows it.
    public var fingerprintSHA256: String
    public var hostname: String
    public var keyType: String
    public var publicKey: String
    /// nil in listings; only the internal agent endpoint reads it.
    public var privateKey: String?
    public var createdAt: Date

    public init(fingerprint: String, fingerprintSHA256: String, hostname: String, keyType: String, publicKey: String,
                privateKey: String?, createdAt: Date = Date()) {
        self.fingerprint = fingerprint
        self.fingerprintSHA256 = fingerprintSHA256
        self.hostname = hostname
        self.keyType = keyType
        self.publicKey = publicKey
        self.privateKey = privateKey
        self.createdAt = createdAt
    }
}

/// Project SSH keys. Private keys are sealed at rest (AES-256-GCM, bound to
/// the project, fingerprint and hostname; see `SecretKeys`).
public struct SSHKeyStore: Sendable {
    public let database: Database
    /// nil: no key-encryption key configured; keys can then be neither added nor read.
    public let secrets: SecretKeys?

    public init(database: Database, secrets: SecretKeys?) {
        self.database = database
        self.secrets = secrets
    }

    /// Adds (or replaces) a key for a hostname ("" = any host); false if the project is not followed.
    public func add(project: ProjectSlug, key: SSHKeyRecord, change: ProjectSettingsChange? = nil) async throws -> Bool {
        guard let plain = key.privateKey else { return false }
        let privateKey = try await secrets.required().seal(
            plain, for: SecretOwner.sshKey(project: project.description, fingerprint: key.fingerprint, hostname: key.hostname))
        return try await database.transaction { connection in
            let rows = try await connection.run("""
                INSERT INTO project_ssh_keys (project_slug, fingerprint, fingerprint_sha256, hostname, key_type, public_key, private_key)
                SELECT slug, \(key.fingerprint), \(key.fingerprintSHA256), \(key.hostname), \(key.keyType), \(key.publicKey),
                       \(privateKey) FROM projects WHERE slug = \(project.description)
                ON CONFLICT (project_slug, fingerprint, hostname) DO UPDATE
                    SET private_key = EXCLUDED.private_key, public_key = EXCLUDED.public_key, created_at = now()
                RETURNING fingerprint
                """, database.logger)
            var added = false
            for try await _ in rows.decode(String.self) { added = true }
            if added { try await change?.record(project: project.description, on: connection, logger: database.logger) }
            return added
        }
    }

    /// The keys of a project; with `fingerprints`, only those whose MD5 or SHA256 fingerprint is listed.
    public func keys(project: ProjectSlug, fingerprints: [String] = [], includePrivate: Bool) async throws -> [SSHKeyRecord] {
        let rows = try await database.query("""
            SELECT fingerprint, fingerprint_sha256, hostname, key_type, public_key, private_key, created_at
            FROM project_ssh_keys WHERE project_slug = \(project.description)
            AND (cardinality(\(fingerprints)::text[]) = 0 OR fingerprint = ANY(\(fingerprints)::text[])
                 OR fingerprint_sha256 = ANY(\(fingerprints)::text[]))
            ORDER BY created_at, fingerprint, hostname
            """)
        var result: [SSHKeyRecord] = []
        for try await (md5, sha256, hostname, type, publicKey, privateKey, created) in
            rows.decode((String, String, String, String, String, String, Date).self) {
            var opened: String?
            if includePrivate {
                opened = try await secrets.required().open(
                    privateKey, for: SecretOwner.sshKey(project: project.description, fingerprint: md5, hostname: hostname))
            }
            result.append(SSHKeyRecord(fingerprint: md5, fingerprintSHA256: sha256, hostname: hostname, keyType: type,
                                       publicKey: publicKey, privateKey: opened, createdAt: created))
        }
        return result
    }

    /// Deletes a key (for one hostname, or for all); returns how many were deleted.
    public func delete(project: ProjectSlug, fingerprint: String, hostname: String?,
                       change: ProjectSettingsChange? = nil) async throws -> Int {
        try await database.transaction { connection in
            let rows = try await connection.run("""
                DELETE FROM project_ssh_keys WHERE project_slug = \(project.description)
                AND (fingerprint = \(fingerprint) OR fingerprint_sha256 = \(fingerprint))
                AND (\(hostname)::text IS NULL OR hostname = \(hostname))
                RETURNING fingerprint
                """, database.logger)
            var count = 0
            for try await _ in rows.decode(String.self) { count += 1 }
            if count > 0 { try await change?.record(project: project.description, on: connection, logger: database.logger) }
            return count
        }
    }
}
