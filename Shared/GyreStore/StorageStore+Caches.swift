import Foundation
import PostgresNIO

/// A saved cache: immutable once written.
public struct CacheRecord: Sendable, Equatable {
    public var key: String
    public var size: Int64
    /// The blob, relative to the storage directory.
    public var file: String
    public var createdAt: Date
    /// The number of the job that saved it, when the agent said.
    public var jobNumber: Int?
}

extension StorageStore {
    /// The most recently saved cache whose key starts with the first prefix
    /// that matches any (prefixes are tried in the order given).
    public func findCache(project: String, prefixes: [String]) async throws -> CacheRecord? {
        for prefix in prefixes {
            let pattern = Self.likePrefix(prefix)
            let rows = try await database.query("""
                SELECT key, size, file, created_at, job_number FROM caches
                WHERE project_slug = \(project) AND key LIKE \(pattern)
                ORDER BY seq DESC LIMIT 1
                """)
            for try await (key, size, file, created, job) in rows.decode((String, Int64, String, Date, Int?).self) {
                return CacheRecord(key: key, size: size, file: file, createdAt: created, jobNumber: job)
            }
        }
        return nil
    }

    public func cache(project: String, key: String) async throws -> CacheRecord? {
        let rows = try await database.query("""
            SELECT key, size, file, created_at, job_number FROM caches WHERE project_slug = \(project) AND key = \(key)
            """)
        for try await (key, size, file, created, job) in rows.decode((String, Int64, String, Date, Int?).self) {
            return CacheRecord(key: key, size: size, file: file, createdAt: created, jobNumber: job)
        }
        return nil
    }

    /// Records a complete cache file. Returns false (and changes nothing) when
    /// the key exists already: caches are immutable, the first save wins.
    public func addCache(project: String, key: String, size: Int64, file: String, jobNumber: Int? = nil) async throws -> Bool {
        let rows = try await database.query("""
            INSERT INTO caches (project_slug, key, size, file, job_number)
            VALUES (\(project), \(key), \(size), \(file), \(jobNumber))
            ON CONFLICT (project_slug, key) DO NOTHING RETURNING 1
            """)
        for try await _ in rows { return true }
        return false
    }

    /// `prefix%` for LIKE, with the prefix's own `\`, `%` and `_` escaped.
    static func likePrefix(_ prefix: String) -> String {
        var escaped = ""
        for character in prefix {
            if character == "\\" || character == "%" || character == "_" { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped + "%"
    }
}
