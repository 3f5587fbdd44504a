import Foundation
import Logging
import PostgresNIO

/// One imported orb version, as listed.
public struct OrbRecord: Sendable, Equatable {
    /// `namespace/name`.
    public var name: String
    public var version: String
    public var sha256: String
    public var size: Int
    public var importedBy: String
    public var importedAt: Date
    /// The orb's YAML; nil in listings.
    public var source: String?
}

/// Imported registry orbs, in Postgres so every dispatcher replica sees the
/// same versions. A version is immutable once imported, as in CircleCI's
/// registry: importing the same text again is a no-op, different text is refused.
public struct OrbStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    public enum ImportOutcome: String, Sendable {
        case imported
        case unchanged
    }

    /// Stores `name@version` (version `major.minor.patch`).
    public func importOrb(name: String, version: (major: Int, minor: Int, patch: Int), source: String,
                          by actor: String) async throws -> ImportOutcome {
        let text = "\(version.major).\(version.minor).\(version.patch)"
        return try await database.transaction { connection in
            let rows = try await connection.run("""
                INSERT INTO orbs (name, version, major, minor, patch, source, sha256, imported_by)
                VALUES (\(name), \(text), \(version.major), \(version.minor), \(version.patch), \(source),
                        encode(sha256(convert_to(\(source), 'UTF8')), 'hex'), \(actor))
                ON CONFLICT (name, version) DO NOTHING RETURNING name
                """, database.logger)
            for try await _ in rows.decode(String.self) { return .imported }
            let existing = try await connection.run("""
                SELECT 1 FROM orbs WHERE name = \(name) AND version = \(text)
                  AND sha256 = encode(sha256(convert_to(\(source), 'UTF8')), 'hex')
                """, database.logger)
            for try await _ in existing.decode(Int.self) { return .unchanged }
            throw StoreError(.conflict, "\(name)@\(text) is already imported with different content; orb versions "
                             + "never change: import the new content as a new version")
        }
    }

    /// Every imported version (without sources), by name, highest version first.
    public func list() async throws -> [OrbRecord] {
        let rows = try await database.query("""
            SELECT name, version, sha256, length(source), imported_by, imported_at FROM orbs
            ORDER BY name, major DESC, minor DESC, patch DESC
            """)
        var result: [OrbRecord] = []
        for try await (name, version, sha, size, by, at) in rows.decode((String, String, String, Int, String, Date).self) {
            result.append(OrbRecord(name: name, version: version, sha256: sha, size: size, importedBy: by,
                                    importedAt: at, source: nil))
        }
        return result
    }

    /// Every imported version with its source, for the config compiler.
    public func all() async throws -> [OrbRecord] {
        let rows = try await database.query("""
            SELECT name, version, sha256, source, imported_by, imported_at FROM orbs ORDER BY name, version
            """)
        var result: [OrbRecord] = []
        for try await (name, version, sha, source, by, at) in rows.decode((String, String, String, String, String, Date).self) {
            result.append(OrbRecord(name: name, version: version, sha256: sha, size: source.utf8.count, importedBy: by,
                                    importedAt: at, source: source))
        }
        return result
    }

    /// Changes whenever an orb is imported: a cache of ``all()`` is current while this stays the same.
    public func generation() async throws -> Int64 {
        let rows = try await database.query("SELECT (count(*) * 1000000000 + coalesce(max(seq), 0))::bigint FROM orbs")
        for try await value in rows.decode(Int64.self) { return value }
        return 0
    }
}
