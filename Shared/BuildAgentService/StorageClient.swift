import Foundation
import GyreModel
import GyreProtocol
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The output-processor's internal storage API (caches, workspaces, artifacts,
/// test results, timings, SSH keys). Bodies go from and to files so a large
/// cache or artifact never sits in the agent's memory.
struct StorageClient: Sendable {
    let baseURL: String
    /// The job attempt's credential (`AgentJob.jobToken`), sent as a bearer token.
    var token: String?
    /// Which service this client reaches, and the setting naming it (for messages).
    var service = "storage service (output-processor)"
    var setting = "GYRE_STORAGE_URL"

    init(baseURL: String, token: String? = nil, service: String? = nil, setting: String? = nil) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.token = token
        if let service { self.service = service }
        if let setting { self.setting = setting }
    }

    /// This client for one job attempt.
    func scoped(to job: AgentJob) -> StorageClient {
        StorageClient(baseURL: baseURL, token: job.jobToken, service: service, setting: setting)
    }

    struct CacheEntry: Decodable, Sendable {
        var key: String
        var size: Int64?
        /// The build that saved it, when the storage service says.
        var buildNumber: Int?

        enum CodingKeys: String, CodingKey {
            case key, size, buildNumber = "build_num"
        }
    }

    struct Layer: Decodable, Sendable {
        /// Tells apart the layers of one job and node (one per persist step).
        var id: Int64?
        var jobId: UUID
        var node: Int
        var size: Int64?

        enum CodingKeys: String, CodingKey {
            case id, jobId = "job_id", node, size
        }
    }

    struct SSHKey: Decodable, Sendable {
        /// MD5, `aa:bb:...`.
        var fingerprint: String
        /// `SHA256:...`, when the storage service gives it.
        var fingerprintSHA256: String?
        var hostname: String?
        var privateKey: String

        enum CodingKeys: String, CodingKey {
            case fingerprint, fingerprintSHA256 = "fingerprint_sha256", hostname, privateKey = "private_key"
        }
    }

    // MARK: caches

    /// The newest cache whose key starts with the first matching prefix; nil when none.
    func findCache(project: String, prefixes: [String]) async throws(StorageError) -> CacheEntry? {
        let query = prefixes.map { "prefix=\(Self.encode($0))" }.joined(separator: "&")
        let (code, data) = try await send("GET", "/internal/v1/caches/\(project)?\(query)")
        if code == 404 { return nil }
        return try decode(CacheEntry.self, code, data, what: "cache lookup")
    }

    func cacheExists(project: String, key: String) async throws(StorageError) -> Bool {
        let (code, data) = try await send("HEAD", "/internal/v1/caches/\(project)/blob?key=\(Self.encode(key))")
        if code == 404 { return false }
        guard code == 200 else { throw failure("cache lookup", code, data) }
        return true
    }

    /// True when stored, false when a cache with that key existed already. `job` is
    /// the saving job (so a later restore can say which build saved it).
    func uploadCache(project: String, key: String, job: UUID, file: String) async throws(StorageError) -> Bool {
        let (code, data) = try await upload(
            "/internal/v1/caches/\(project)/blob?key=\(Self.encode(key))&job=\(Self.id(job))", file: file)
        guard code == 200 || code == 201 else { throw failure("cache upload", code, data) }
        return code == 201
    }

    func downloadCache(project: String, key: String, to file: String) async throws(StorageError) {
        try await download("/internal/v1/caches/\(project)/blob?key=\(Self.encode(key))", to: file, what: "cache download")
    }

    // MARK: workspaces

    /// One layer per persist step: `step` (the step's position in the job) makes a retry replace, not add.
    func uploadLayer(workflow: UUID, job: UUID, node: Int, step: Int, file: String) async throws(StorageError) {
        let (code, data) = try await upload(
            "/internal/v1/workspaces/\(Self.id(workflow))/layers/\(Self.id(job))?node=\(node)&step=\(step)", file: file)
        guard (200..<300).contains(code) else { throw failure("workspace upload", code, data) }
    }

    /// The layers the job can see (its upstream jobs'), oldest first.
    func layers(workflow: UUID, job: UUID) async throws(StorageError) -> [Layer] {
        struct Response: Decodable { var layers: [Layer] }
        let (code, data) = try await send("GET", "/internal/v1/workspaces/\(Self.id(workflow))/layers?job=\(Self.id(job))")
        return try decode(Response.self, code, data, what: "workspace lookup").layers
    }

    func downloadLayer(workflow: UUID, layer: Layer, to file: String) async throws(StorageError) {
        let which = layer.id.map { "&layer=\($0)" } ?? ""
        try await download(
            "/internal/v1/workspaces/\(Self.id(workflow))/layers/\(Self.id(layer.jobId))/blob?node=\(layer.node)\(which)",
            to: file, what: "workspace download")
    }

    // MARK: artifacts and test results

    func uploadArtifact(job: UUID, node: Int, path: String, file: String) async throws(StorageError) {
        let (code, data) = try await upload(
            "/internal/v1/jobs/\(Self.id(job))/artifacts?node=\(node)&path=\(Self.encode(path))", file: file)
        guard (200..<300).contains(code) else { throw failure("artifact upload", code, data) }
    }

    /// Returns how many tests the file held.
    func uploadTestResults(job: UUID, node: Int, name: String, file: String) async throws(StorageError) -> Int {
        struct Response: Decodable { var tests: Int? }
        let (code, data) = try await upload(
            "/internal/v1/jobs/\(Self.id(job))/tests?node=\(node)&file=\(Self.encode(name))", file: file)
        return try decode(Response.self, code, data, what: "test results upload").tests ?? 0
    }

    // MARK: project data

    /// The timings JSON (`{"files":{...},"classnames":{...},"names":{...}}`) as sent.
    func timings(project: String) async throws(StorageError) -> Data {
        let (code, data) = try await send("GET", "/internal/v1/projects/\(project)/timings")
        guard code == 200 else { throw failure("timings lookup", code, data) }
        return data
    }

    /// The failed and errored tests of a job (all its nodes): (file, classname).
    func failedTests(job: UUID) async throws(StorageError) -> [(file: String, classname: String)] {
        struct Test: Decodable { var file: String; var classname: String }
        struct Response: Decodable { var tests: [Test] }
        let (code, data) = try await send("GET", "/internal/v1/jobs/\(Self.id(job))/failed-tests")
        return try decode(Response.self, code, data, what: "failed tests lookup").tests.map { ($0.file, $0.classname) }
    }

    func sshKeys(project: String, fingerprints: [String]) async throws(StorageError) -> [SSHKey] {
        struct Response: Decodable { var keys: [SSHKey] }
        let query = fingerprints.map { "fingerprint=\(Self.encode($0))" }.joined(separator: "&")
        let (code, data) = try await send("GET", "/internal/v1/projects/\(project)/ssh-keys" + (query.isEmpty ? "" : "?\(query)"))
        return try decode(Response.self, code, data, what: "SSH key lookup").keys
    }

    enum EnvironmentAnswer: Sendable {
        case variables([JobEnvironment.Variable])
        /// The job may not use a context: it ends `unauthorized` with this message.
        case refused(String)
    }

    /// The job's secret environment from the contexts service (this client pointed at GYRE_CONTEXTS_URL).
    func jobEnvironment(job: UUID) async throws(StorageError) -> EnvironmentAnswer {
        struct Refusal: Decodable { var message: String; var context: String }
        let (code, data) = try await send("GET", "/internal/v1/jobs/\(Self.id(job))/environment")
        if code == 403, let refusal = try? JSONDecoder().decode(Refusal.self, from: data) { return .refused(refusal.message) }
        return .variables(try decode(JobEnvironment.self, code, data, what: "job environment lookup").variables)
    }

    // MARK: transport

    static func id(_ uuid: UUID) -> String { uuid.uuidString.lowercased() }

    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    private func request(_ method: String, _ path: String) throws(StorageError) -> URLRequest {
        guard let url = URL(string: baseURL + path) else {
            throw StorageError(.unreachable, "\(setting) \"\(baseURL)\" does not form a valid URL")
        }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 600
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return request
    }

    private func send(_ method: String, _ path: String) async throws(StorageError) -> (Int, Data) {
        let request = try request(method, path)
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        } catch {
            throw unreachable(error)
        }
    }

    private func upload(_ path: String, file: String) async throws(StorageError) -> (Int, Data) {
        var request = try request("PUT", path)
        request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type")
        do {
            let (data, response) = try await URLSession.shared.upload(for: request, fromFile: URL(fileURLWithPath: file))
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        } catch {
            throw unreachable(error)
        }
    }

    private func download(_ path: String, to file: String, what: String) async throws(StorageError) {
        let request = try request("GET", path)
        let location: URL
        let response: URLResponse
        do {
            (location, response) = try await URLSession.shared.download(for: request)
        } catch {
            throw unreachable(error)
        }
        let code = (response as? HTTPURLResponse)?.statusCode ?? 0
        guard code == 200 else {
            let body = (try? Data(contentsOf: location)) ?? Data()
            try? FileManager.default.removeItem(at: location)
            throw failure(what, code, body)
        }
        do {
            try? FileManager.default.removeItem(atPath: file)
            try FileManager.default.moveItem(at: location, to: URL(fileURLWithPath: file))
        } catch {
            throw StorageError(.badResponse, "\(what): cannot keep the downloaded file: \(error.localizedDescription)")
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, _ code: Int, _ data: Data, what: String) throws(StorageError) -> T {
        guard (200..<300).contains(code) else { throw failure(what, code, data) }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch {
            throw StorageError(.badResponse, "\(what): the \(service) answered something unexpected: \(error)")
        }
    }

    private func failure(_ what: String, _ code: Int, _ data: Data) -> StorageError {
        let body = String(decoding: data.prefix(500), as: UTF8.self)
        let message = (try? JSONDecoder().decode([String: String].self, from: data))?["message"] ?? body
        if code == 404 {
            return StorageError(.notFound, "\(what): not found (HTTP 404) \(message)")
        }
        if code == 503 {
            return StorageError(.unavailable, "\(what) failed with HTTP 503: \(message)")
        }
        return StorageError(.rejected, "\(what) failed with HTTP \(code): \(message)")
    }

    private func unreachable(_ error: any Error) -> StorageError {
        StorageError(.unreachable,
                     "the \(service) at \(baseURL) is not reachable (\(error.localizedDescription)); check \(setting) and that it runs")
    }
}

/// A failed call to the storage API, with what to do about it.
struct StorageError: Error, Sendable, CustomStringConvertible {
    enum Code: Sendable { case unreachable, notFound, rejected, unavailable, badResponse }
    var code: Code
    var message: String

    init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    var description: String { message }
}
