import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// A job's artifacts and test results, read from Postgres and the storage
/// directory the output-processor writes: v2 (`{items, next_page_token}`)
/// and v1.1 shapes, plus the download endpoint the artifact URLs point at.
/// A job number names the job; a parallel job's artifacts and tests come from all its runs.
extension FrontendAPI {
    func registerArtifacts(on router: Router<Context>) {
        let v2 = router.group("api/v2/project/:vcs/:org/:repo")
        v2.get(":number/artifacts") { request, context in try await artifactsV2(request, context) }
        v2.get(":number/artifacts/:node/**") { request, context in try await downloadArtifact(request, context) }
        v2.get(":number/tests") { request, context in try await testsV2(request, context) }
        let v11 = router.group("api/v1.1/project/:vcs/:org/:repo")
        v11.get(":build_num/artifacts") { request, context in try await artifactsV11(request, context) }
        v11.get("latest/artifacts") { request, context in try await latestArtifactsV11(request, context) }
        v11.get(":build_num/tests") { request, context in try await testsV11(request, context) }
    }

    var storage: StorageStore { StorageStore(database: store.database) }

    /// The job a project's job number names, else 404.
    func storageJob(_ context: Context, number name: String) async throws -> (ProjectSlug, Int, StorageStore.JobRef) {
        let slug = try await slug(context, may: .viewBuilds)
        let number = try int(context, name)
        guard let job = try await guarded({ try await storage.job(project: slug.description, number: number) }) else {
            throw APIError.notFound("job \(number) of project \(slug)")
        }
        return (slug, number, job)
    }

    // MARK: artifacts

    struct ArtifactV2: Encodable {
        var path: String
        var node_index: Int
        var url: String
    }

    struct ArtifactV11: Encodable {
        var path: String
        var pretty_path: String
        var node_index: Int
        var url: String
    }

    func artifactsV2(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, number, job) = try await storageJob(context, number: "number")
        let items = try await guarded { try await storage.artifacts(job: job.id) }
        let base = Self.publicBase(request)
        return JSONResponse.make(Page(items: items.map {
            ArtifactV2(path: $0.path, node_index: $0.node, url: Self.artifactURL(base: base, slug: slug, number: number, $0))
        }))
    }

    func artifactsV11(_ request: Request, _ context: Context) async throws -> Response {
        let (slug, number, job) = try await storageJob(context, number: "build_num")
        let items = try await guarded { try await storage.artifacts(job: job.id) }
        let base = Self.publicBase(request)
        return JSONResponse.make(items.map {
            ArtifactV11(path: $0.path, pretty_path: $0.path, node_index: $0.node,
                        url: Self.artifactURL(base: base, slug: slug, number: number, $0))
        })
    }

    /// Job statuses each v1.1 `filter` value selects.
    static let latestFilters: [String: [String]] = [
        "completed": ["success", "failed", "canceled", "infrastructure_fail", "timedout"],
        "successful": ["success"],
        "failed": ["failed", "infrastructure_fail", "timedout"],
        "running": ["running"],
    ]

    /// `GET /api/v1.1/project/{slug}/latest/artifacts?branch=B&filter=F`: the artifacts of
    /// the project's latest job (on the branch, with the status the filter names).
    func latestArtifactsV11(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        let query = request.uri.queryParameters
        let branch = query["branch"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        var statuses: [String]?
        if let filter = query["filter"].map(String.init), !filter.isEmpty {
            guard let selected = Self.latestFilters[filter] else {
                throw APIError.badRequest("filter must be completed, successful, failed or running, not \"\(filter)\"")
            }
            statuses = selected
        }
        guard let job = try await guarded({
            try await storage.latestJob(project: slug.description, branch: branch, statuses: statuses)
        }) else {
            throw APIError.notFound("a job of project \(slug)\(branch.map { " on branch \($0)" } ?? "") matching the filter")
        }
        let items = try await guarded { try await storage.artifacts(job: job.id) }
        let base = Self.publicBase(request)
        return JSONResponse.make(items.map {
            ArtifactV11(path: $0.path, pretty_path: $0.path, node_index: $0.node,
                        url: Self.artifactURL(base: base, slug: slug, number: job.number, $0))
        })
    }

    /// `GET /api/v2/project/{slug}/{number}/artifacts/{node}/{path...}`: the file itself, streamed.
    func downloadArtifact(_ request: Request, _ context: Context) async throws -> Response {
        let (_, _, job) = try await storageJob(context, number: "number")
        let node = try int(context, "node")
        let raw = context.parameters.getCatchAll().map { $0.removingPercentEncoding ?? String($0) }.joined(separator: "/")
        let path: ArtifactPath
        do {
            path = try ArtifactPath(raw)
        } catch {
            throw APIError.badRequest("artifact path: \(error.description)")
        }
        guard let artifact = try await guarded({ try await storage.artifact(job: job.id, node: node, path: path) }) else {
            throw APIError.notFound("artifact \(path) of node \(node)")
        }
        let file = BlobFiles(root: logs.root).absolute(artifact.file)
        guard FileManager.default.fileExists(atPath: file) else {
            throw APIError.notFound("artifact \(path) of node \(node) (its file is missing from the storage directory)")
        }
        let body = try await FileIO().loadFile(path: file, context: context)
        let ext = path.value.split(separator: "/").last.flatMap { $0.contains(".") ? $0.split(separator: ".").last : nil }
        let type = ext.flatMap { MediaType.getMediaType(forExtension: String($0)) }.map { "\($0)" } ?? "application/octet-stream"
        // Artifacts are whatever a job wrote: an HTML report must not run scripts as this API's origin.
        return Response(status: .ok, headers: [.contentType: type, .contentLength: String(artifact.size),
                                               .contentSecurityPolicy: "sandbox", .init("X-Content-Type-Options")!: "nosniff"],
                        body: body)
    }

    /// Where clients reach this API: GYRE_EXTERNAL_URL when set, else the request's Host.
    static func publicBase(_ request: Request) -> String {
        if let configured = Self.externalURL { return configured }
        if let host = request.head.authority ?? request.headers[.init("Host")!] { return "http://\(host)" }
        return "http://localhost"
    }

    static let externalURL: String? = ServiceEnvironment().optionalString("GYRE_EXTERNAL_URL")
        .map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }

    static func artifactURL(base: String, slug: ProjectSlug, number: Int, _ artifact: ArtifactRecord) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%;")
        let path = artifact.path.split(separator: "/")
            .map { $0.addingPercentEncoding(withAllowedCharacters: allowed) ?? String($0) }.joined(separator: "/")
        return "\(base)/api/v2/project/\(slug)/\(number)/artifacts/\(artifact.node)/\(path)"
    }

    // MARK: tests

    struct TestV2: Encodable {
        var message: String?
        var source: String
        var run_time: Double
        var file: String
        var result: String
        var name: String
        var classname: String

        init(_ record: TestResultRecord) {
            message = record.message
            source = record.source
            run_time = record.runTime
            file = record.file
            result = record.result
            name = record.name
            classname = record.classname
        }

        enum CodingKeys: String, CodingKey { case message, source, run_time, file, result, name, classname }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(message, forKey: .message)  // null, not left out
            try container.encode(source, forKey: .source)
            try container.encode(run_time, forKey: .run_time)
            try container.encode(file, forKey: .file)
            try container.encode(result, forKey: .result)
            try container.encode(name, forKey: .name)
            try container.encode(classname, forKey: .classname)
        }
    }

    func testsV2(_ request: Request, _ context: Context) async throws -> Response {
        let (_, _, job) = try await storageJob(context, number: "number")
        let tests = try await guarded { try await storage.tests(job: job.id) }
        return JSONResponse.make(Page(items: tests.map(TestV2.init)))
    }

    func testsV11(_ request: Request, _ context: Context) async throws -> Response {
        let (_, _, job) = try await storageJob(context, number: "build_num")
        let tests = try await guarded { try await storage.tests(job: job.id) }
        struct Out: Encodable { var tests: [TestV2] }
        return JSONResponse.make(Out(tests: tests.map(TestV2.init)))
    }
}
