import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Artifacts and test results of a job, as the public API lists them.
extension APIClient {
    public struct Artifact: Decodable, Sendable, Equatable {
        public var path: String
        public var node_index: Int
        public var url: String
    }

    public struct ArtifactV11: Decodable, Sendable, Equatable {
        public var path: String
        public var pretty_path: String
        public var node_index: Int
        public var url: String
    }

    public struct TestResult: Decodable, Sendable, Equatable {
        public var message: String?
        public var source: String
        public var run_time: Double
        public var file: String
        public var result: String
        public var name: String
        public var classname: String
    }

    public func artifacts(_ slug: String, job number: Int) async throws -> [Artifact] {
        try await call("GET", "api/v2/project/\(slug)/\(number)/artifacts", as: Page<Artifact>.self).items
    }

    public func artifactsV11(_ slug: String, build number: Int) async throws -> [ArtifactV11] {
        try await call("GET", "api/v1.1/project/\(slug)/\(number)/artifacts", as: [ArtifactV11].self)
    }

    public func tests(_ slug: String, job number: Int) async throws -> [TestResult] {
        try await call("GET", "api/v2/project/\(slug)/\(number)/tests", as: Page<TestResult>.self).items
    }

    public func testsV11(_ slug: String, build number: Int) async throws -> [TestResult] {
        struct Out: Decodable { var tests: [TestResult] }
        return try await call("GET", "api/v1.1/project/\(slug)/\(number)/tests", as: Out.self).tests
    }
}

/// Raw calls to the output-processor's internal storage API (`/internal/v1`),
/// as a build agent makes them; for tests and diagnostics.
public struct StorageProbe: Sendable {
    public let base: String
    /// Sent as a bearer token on internal calls: a job's token or the operator's GYRE_INTERNAL_TOKEN.
    public let token: String?

    public init(base: URL, token: String? = nil) {
        let text = base.absoluteString
        self.base = text.hasSuffix("/") ? String(text.dropLast()) : text
        self.token = token
    }

    public struct Answer: Sendable {
        public var status: Int
        public var body: Data
        public var headers: [String: String]
        public var text: String { String(decoding: body, as: UTF8.self) }

        public func json() throws -> [String: Any] {
            guard let object = try JSONSerialization.jsonObject(with: body) as? [String: Any] else {
                throw LocalSystemError("not a JSON object: \(text)")
            }
            return object
        }
    }

    /// Percent-encodes a query value (everything but unreserved characters).
    public static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// `path` starts with `/` and may carry a query string (already encoded).
    public func send(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async -> Answer {
        guard let url = URL(string: base + path) else { return Answer(status: 0, body: Data("bad URL".utf8), headers: [:]) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = 60
        request.httpBody = body
        if body != nil { request.setValue("application/octet-stream", forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
        return await perform(request)
    }

    /// GET of an absolute URL (an artifact's download link), with an API token when it needs one.
    public func get(url: String, token: String? = nil) async -> Answer {
        guard let url = URL(string: url) else { return Answer(status: 0, body: Data("bad URL".utf8), headers: [:]) }
        var request = URLRequest(url: url)
        if let token { request.setValue(token, forHTTPHeaderField: "Circle-Token") }
        return await perform(request)
    }

    func perform(_ request: URLRequest) async -> Answer {
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            let http = response as? HTTPURLResponse
            var fields: [String: String] = [:]
            for (key, value) in http?.allHeaderFields ?? [:] {
                if let key = key as? String, let value = value as? String { fields[key.lowercased()] = value }
            }
            return Answer(status: http?.statusCode ?? 0, body: data, headers: fields)
        } catch {
            return Answer(status: 0, body: Data("\(error)".utf8), headers: [:])
        }
    }
}
