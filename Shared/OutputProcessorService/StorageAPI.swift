import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird
import Logging

/// The internal HTTP API build agents use for caches, workspaces, artifacts
/// and test results (`/internal/v1/...` on the output-processor's port).
/// Bodies stream to disk; every write can be retried: caches are immutable
/// (a second PUT of a key keeps the first), artifacts and test reports are
/// replaced by a second PUT of the same name, and a workspace layer sent again
/// (same bytes, or the same step) is stored once.
struct StorageAPI: Sendable {
    let store: StorageStore
    let files: BlobFiles
    let uploads: UploadReceiver
    let logger: Logger

    typealias Context = GyreRequestContext

    init(store: StorageStore, storageDirectory: String, maxUploadBytes: Int64, logger: Logger) {
        self.store = store
        self.files = BlobFiles(root: storageDirectory)
        self.uploads = UploadReceiver(files: files, maxBytes: maxUploadBytes)
        self.logger = logger
    }

    /// GYRE_STORAGE_MAX_UPLOAD_BYTES, default 5 GiB.
    static func maxUploadBytes(_ environment: ServiceEnvironment) -> Int64 {
        Int64(environment.int("GYRE_STORAGE_MAX_UPLOAD_BYTES", default: 5 << 30, range: 1...(1 << 50)))
    }

    /// GYRE_CACHE_RETENTION_DAYS, default 15 (as CircleCI); 0 keeps caches forever.
    static func cacheRetentionDays(_ environment: ServiceEnvironment) -> Int {
        environment.int("GYRE_CACHE_RETENTION_DAYS", default: 15, range: 0...36_500)
    }

    func register(on router: Router<Context>) {
        let api = router.group("internal/v1")
        api.get("caches/:vcs/:org/:repo") { request, context in try await findCache(request, context) }
        api.head("caches/:vcs/:org/:repo/blob") { request, context in try await headCache(request, context) }
        api.get("caches/:vcs/:org/:repo/blob") { request, context in try await getCache(request, context) }
        api.put("caches/:vcs/:org/:repo/blob") { request, context in try await putCache(request, context) }
        api.put("workspaces/:workflow/layers/:job") { request, context in try await putLayer(request, context) }
        api.get("workspaces/:workflow/layers") { request, context in try await listLayers(request, context) }
        api.get("workspaces/:workflow/layers/:job/blob") { request, context in try await getLayer(request, context) }
        api.put("jobs/:job/artifacts") { request, context in try await putArtifact(request, context) }
        api.put("jobs/:job/tests") { request, context in try await putTests(request, context) }
        api.get("jobs/:job/failed-tests") { request, context in try await failedTests(request, context) }
        api.get("projects/:vcs/:org/:repo/timings") { request, context in try await timings(request, context) }
    }

    // MARK: parameters

    func slug(_ context: Context) throws -> ProjectSlug {
        guard let vcs = context.parameters.get("vcs"), let org = context.parameters.get("org"),
              let repo = context.parameters.get("repo"), let slug = ProjectSlug(vcs: vcs, org: org, repo: repo)
        else {
            throw APIError.badRequest("project must look like gh/{org}/{repo} (or github/, bb/, bitbucket/)")
        }
        return slug
    }

    /// A followed project, else 404.
    func project(_ context: Context) async throws -> String {
        let slug = try slug(context).description
        guard try await guarded({ try await store.projectExists(slug) }) else {
            throw APIError.notFound("project \(slug) (it is not followed)")
        }
        return slug
    }

    func uuid(_ context: Context, _ name: String) throws -> UUID {
        guard let text = context.parameters.get(name), let id = UUID(uuidString: text) else {
            throw APIError.badRequest("\(name) id must be a UUID")
        }
        return id
    }

    func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }

    /// `?name=` as a string that must be present and not empty.
    func required(_ request: Request, _ name: String, _ meaning: String) throws -> String {
        guard let value = query(request, name), !value.isEmpty else {
            throw APIError.badRequest("query parameter \(name) is missing: give \(meaning)")
        }
        return value
    }

    /// `?node=I` (default 0).
    func node(_ request: Request) throws -> Int {
        guard let text = query(request, "node"), !text.isEmpty else { return 0 }
        guard let node = Int(text), (0...10_000).contains(node) else {
            throw APIError.badRequest("node must be the parallel run's index (a whole number from 0), not \"\(text)\"")
        }
        return node
    }

    /// The job an agent names (a parallel run counts as its job), else 404.
    func job(_ context: Context) async throws -> StorageStore.JobRef {
        let id = try uuid(context, "job")
        guard let job = try await guarded({ try await store.job(id) }) else { throw APIError.notFound("job \(id)") }
        return job
    }

    /// Database failures become 503 with a message, never SQL.
    func guarded<T>(_ body: () async throws -> T) async throws -> T {
        try await APIError.guardingDatabase(logger: logger, body)
    }

    /// Streams a stored blob.
    func blob(_ relative: String, size: Int64, contentType: String, _ context: Context) async throws -> Response {
        let path = files.absolute(relative)
        guard FileManager.default.fileExists(atPath: path) else {
            logger.error("stored blob is missing from the storage directory", metadata: ["file": "\(relative)"])
            throw APIError.notFound("the stored file (it is missing from the storage directory; save it again)")
        }
        let body = try await uploads.fileIO.loadFile(path: path, context: context)
        return Response(status: .ok, headers: [.contentType: contentType, .contentLength: String(size)], body: body)
    }

    static let gzip = "application/gzip"
}
