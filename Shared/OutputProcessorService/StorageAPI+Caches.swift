import Foundation
import GyreServiceKit
import GyreStore
import Hummingbird

extension StorageAPI {
    struct CacheOut: Encodable {
        var key: String
        var size: Int64
        var created_at: Date
        /// The job that saved it (when its PUT named the job), for "Found a cache from build N".
        var build_num: Int?
    }

    /// `GET caches/{project}?prefix=A&prefix=B`: the newest cache under the first prefix that matches.
    func findCache(_ request: Request, _ context: Context) async throws -> Response {
        let project = try await project(context)
        let prefixes = request.uri.queryParameters[values: "prefix"].map(String.init)
        guard !prefixes.isEmpty else {
            throw APIError.badRequest("give one or more prefix= query parameters (cache keys or key prefixes, most specific first)")
        }
        guard let cache = try await guarded({ try await store.findCache(project: project, prefixes: prefixes) }) else {
            throw APIError.notFound("cache matching \(prefixes.map { "\"\($0)\"" }.joined(separator: ", ")) in \(project)")
        }
        return JSONResponse.make(CacheOut(key: cache.key, size: cache.size, created_at: cache.createdAt,
                                          build_num: cache.jobNumber))
    }

    func cacheRecord(_ request: Request, _ context: Context) async throws -> (String, String, CacheRecord?) {
        let project = try await project(context)
        let key = try required(request, "key", "the cache key")
        let cache = try await guarded { try await store.cache(project: project, key: key) }
        return (project, key, cache)
    }

    func headCache(_ request: Request, _ context: Context) async throws -> Response {
        let (_, _, cache) = try await cacheRecord(request, context)
        // A cache whose file is gone is missing: save_cache stores it again.
        guard let cache, FileManager.default.fileExists(atPath: files.absolute(cache.file)) else {
            return Response(status: .notFound)
        }
        return Response(status: .ok, headers: [.contentType: Self.gzip, .contentLength: String(cache.size)])
    }

    func getCache(_ request: Request, _ context: Context) async throws -> Response {
        let (project, key, cache) = try await cacheRecord(request, context)
        guard let cache else { throw APIError.notFound("cache \"\(key)\" in \(project)") }
        return try await blob(cache.file, size: cache.size, contentType: Self.gzip, context)
    }

    /// `PUT caches/{project}/blob?key=K[&job=J]`: 201 when stored, 200 `{"created": false}` when
    /// the key exists (caches are immutable; the body is not kept). `job` (the saving job's id)
    /// lets lookups name the build that saved it.
    func putCache(_ request: Request, _ context: Context) async throws -> Response {
        let (project, key, existing) = try await cacheRecord(request, context)
        guard key.utf8.count <= 1024 else { throw APIError.badRequest("the cache key is longer than 1024 bytes") }
        // A cache whose file is gone (storage lost, restored from an older
        // backup) counts as missing: this save stores it again.
        var missingFile: String?
        if let existing {
            guard !FileManager.default.fileExists(atPath: files.absolute(existing.file)) else {
                return JSONResponse.make(["created": false])
            }
            logger.warning("a cache's file is gone; saving it again",
                           metadata: ["project": "\(project)", "key": "\(key)", "file": "\(existing.file)"])
            missingFile = existing.file
        }
        var jobNumber: Int?
        if let text = query(request, "job"), !text.isEmpty {
            guard let id = UUID(uuidString: text) else { throw APIError.badRequest("job must be a UUID, not \"\(text)\"") }
            guard let job = try await guarded({ try await store.job(id) }), job.projectSlug == project else {
                throw APIError.notFound("job \(id) of project \(project)")
            }
            jobNumber = job.number
        }
        let upload = try await uploads.receive(request, context: context)
        let name = files.newName(.cache)
        try await uploads.install(upload, as: name)
        let stored: (created: Bool, replaced: String?)
        do {
            stored = try await guarded {
                try await store.addCache(project: project, key: key, size: upload.size, file: name, jobNumber: jobNumber,
                                         replacingMissing: missingFile)
            }
        } catch {
            await uploads.discard([name])
            throw error
        }
        guard stored.created else {
            // Another agent saved the same key meanwhile; the first save wins.
            await uploads.discard([name])
            return JSONResponse.make(["created": false])
        }
        await uploads.discard(stored.replaced.map { [$0] } ?? [])
        logger.info("cache saved", metadata: ["project": "\(project)", "key": "\(key)", "bytes": "\(upload.size)"])
        return JSONResponse.make(["created": true], status: .created)
    }
}
