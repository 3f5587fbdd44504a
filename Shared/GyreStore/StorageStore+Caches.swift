import Foundation
import PostgresNIO

/// A saved cache: immutable once written (until it expires).
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
    /// Days as a float8, the type Postgres multiplies an interval by.
    var retention: Double { Double(cacheRetentionDays) }

    /// The most recently saved live cache whose key starts with the first
    /// prefix that matches any (prefixes are tried in the order given).
    public func findCache(project: String, prefixes: [String]) async throws -> CacheRecord? {
        for prefix in prefixes {
            let pattern = Self.likePrefix(prefix)
            let rows = try await database.query("""
                SELECT key, size, file, created_at, job_number FROM caches
                WHERE project_slug = \(project) AND key LIKE \(pattern)
                  AND (\(retention) = 0 OR created_at >= now() - \(retention) * interval '1 day')
                ORDER BY seq DESC LIMIT 1
                """)
            for try await (key, size, file, created, job) in rows.decode((String, Int64, String, Date, Int?).self) {
                return CacheRecord(key: key, size: size, file: file, createdAt: created, jobNumber: job)
            }
        }
        return nil
    }

    /// The live cache saved under exactly `key`.
    public func cache(project: String, key: String) async throws -> CacheRecord? {
        let rows = try await database.query("""
            SELECT key, size, file, created_at, job_number FROM caches WHERE project_slug = \(project) AND key = \(key)
              AND (\(retention) = 0 OR created_at >= now() - \(retention) * interval '1 day')
            """)
        for try await (key, size, file, created, job) in rows.decode((String, Int64, String, Date, Int?).self) {
            return CacheRecord(key: key, size: size, file: file, createdAt: created, jobNumber: job)
        }
        return nil
    }

    /// Records a complete cache file. `created` is false (and nothing changes) when a
    /// live cache has the key: caches are immutable, the first save wins. An expired
    /// one is replaced, and so is one whose file is `replacingMissing` (its file
    /// is gone); `replaced` is the old file, to delete.
    public func addCache(project: String, key: String, size: Int64, file: String, jobNumber: Int? = nil,
                         replacingMissing missing: String? = nil) async throws
        -> (created: Bool, replaced: String?) {
        let rows = try await database.query("""
            WITH old AS (SELECT file FROM caches WHERE project_slug = \(project) AND key = \(key))
            INSERT INTO caches (project_slug, key, size, file, job_number)
            VALUES (\(project), \(key), \(size), \(file), \(jobNumber))
            ON CONFLICT (project_slug, key) DO UPDATE SET size = EXCLUDED.size, file = EXCLUDED.file,
                job_number = EXCLUDED.job_number, seq = nextval('caches_seq_seq'), created_at = clock_timestamp()
            WHERE (\(retention) > 0 AND caches.created_at < now() - \(retention) * interval '1 day')
               OR caches.file = \(missing)
            RETURNING (SELECT file FROM old)
            """)
        for try await replaced in rows.decode(String?.self) { return (true, replaced) }
        return (false, nil)
    }

    /// Deletes up to `limit` expired caches and returns their files, to delete.
    public func removeExpiredCaches(limit: Int = 500) async throws -> [String] {
        guard cacheRetentionDays > 0 else { return [] }
        let rows = try await database.query("""
            DELETE FROM caches WHERE ctid IN (
                SELECT ctid FROM caches WHERE created_at < now() - \(retention) * interval '1 day' LIMIT \(limit))
            RETURNING file
            """)
        var files: [String] = []
        for try await file in rows.decode(String.self) { files.append(file) }
        return files
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
