import Foundation

/// Typed calls to a Gyre frontend's API, as a CI user's script would make them.
public struct APIClient: Sendable {
    public let base: URL
    /// The API token every call carries (`Circle-Token`); nil for none.
    public let token: String?
    public let http: HTTPProbe

    public init(base: URL, token: String? = nil) {
        self.base = base
        self.token = token
        http = .authenticated(token)
    }

    public struct APIFailure: Error, CustomStringConvertible {
        public var status: Int
        public var body: String
        public var description: String { "HTTP \(status): \(body)" }
    }

    func call<T: Decodable>(_ method: String, _ path: String, query: String? = nil, body: [String: Any]? = nil, as type: T.Type,
                            headers: [String: String] = [:]) async throws -> T {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        var url = base.appendingPathComponent(path)
        if let query, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.percentEncodedQuery = query
            url = components.url ?? url
        }
        var (status, response, fields) = await http.exchange(method, url, body: data, headers: headers)
        // Over the rate limit: wait as the server says, as a well-behaved client does.
        for _ in 0..<20 where status == 429 {
            try await Task.sleep(for: .seconds(Double(fields["retry-after"] ?? "") ?? 1))
            (status, response, fields) = await http.exchange(method, url, body: data, headers: headers)
        }
        guard (200..<300).contains(status) else {
            throw APIFailure(status: status, body: String(decoding: response, as: UTF8.self))
        }
        return try JSONDecoder.api.decode(T.self, from: response)
    }

    public struct Followed: Decodable, Sendable {
        public var slug: String
        public var vcs_url: String
    }

    public func follow(_ slug: String, vcsURL: String? = nil, adminToken: String? = nil) async throws -> Followed {
        try await call("POST", "api/v1.1/project/\(slug)/follow", body: vcsURL.map { ["vcs_url": $0] } ?? [:],
                       as: Followed.self, headers: adminToken.map { ["Circle-Token": $0] } ?? [:])
    }

    public struct Created: Decodable, Sendable {
        public var id: UUID
        public var number: Int
        public var state: String
        public var created_at: Date
    }

    public func trigger(_ slug: String, branch: String? = "main", tag: String? = nil) async throws -> Created {
        var body: [String: Any] = [:]
        if let tag { body["tag"] = tag } else if let branch { body["branch"] = branch }
        return try await call("POST", "api/v2/project/\(slug)/pipeline", body: body, as: Created.self)
    }

    public struct Pipeline: Decodable, Sendable {
        public struct Failure: Decodable, Sendable {
            public var type: String
            public var message: String
        }

        public var id: UUID
        public var number: Int
        public var state: String
        public var errors: [Failure]
        public var created_at: Date
    }

    public func pipeline(_ id: UUID) async throws -> Pipeline {
        try await call("GET", "api/v2/pipeline/\(id.uuidString.lowercased())", as: Pipeline.self)
    }

    public struct Page<Item: Decodable & Sendable>: Decodable, Sendable {
        public var items: [Item]
    }

    public struct Workflow: Decodable, Sendable {
        public var id: UUID
        public var name: String
        public var status: String
        public var created_at: Date
        public var stopped_at: Date?
    }

    public func workflows(pipeline id: UUID) async throws -> [Workflow] {
        try await call("GET", "api/v2/pipeline/\(id.uuidString.lowercased())/workflow", as: Page<Workflow>.self).items
    }

    public struct Job: Decodable, Sendable {
        public var id: UUID
        public var name: String
        public var status: String
        public var job_number: Int?
        public var dependencies: [UUID]
        public var started_at: Date?
        public var stopped_at: Date?
    }

    public func jobs(workflow id: UUID) async throws -> [Job] {
        try await call("GET", "api/v2/workflow/\(id.uuidString.lowercased())/job", as: Page<Job>.self).items
    }

    public struct Step: Decodable, Sendable {
        public var index: Int
        public var name: String
        public var type: String
        public var status: String
        public var exit_code: Int?
        public var started_at: Date?
        public var stopped_at: Date?
        public var output: String
        /// Bytes of output stored.
        public var output_bytes: Int64?
        /// Which run of a parallel job the step belongs to (0 otherwise).
        public var node_index: Int?
    }

    public func steps(_ slug: String, job number: Int, output: Bool = true) async throws -> [Step] {
        try await call("GET", "api/v2/project/\(slug)/job/\(number)/steps", query: output ? nil : "output=false",
                       as: Page<Step>.self).items
    }

    /// A pipeline and everything it ran, once it has finished.
    public struct Outcome: Sendable {
        public var pipeline: Pipeline
        public var workflows: [(workflow: Workflow, jobs: [Job])]

        /// `success` when every workflow succeeded; `errored` for a config error; else the first bad status.
        public var status: String {
            if pipeline.state == "errored" { return "errored" }
            return workflows.map(\.workflow.status).first { $0 != "success" } ?? "success"
        }
    }

    static let finalWorkflow: Set<String> = ["success", "failed", "error", "canceled", "not_run", "unauthorized"]

    /// Polls until the pipeline errored or all its workflows reached a final status.
    public func wait(for id: UUID, timeout: Duration = .seconds(120), poll: Duration = .milliseconds(50)) async throws -> Outcome {
        let deadline = ContinuousClock.now + timeout
        var setupEnded: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            let pipeline = try await self.pipeline(id)
            if pipeline.state == "errored" {
                // A continuation that errored keeps the setup workflows that ran.
                var result: [(Workflow, [Job])] = []
                for workflow in try await workflows(pipeline: id) { result.append((workflow, try await jobs(workflow: workflow.id))) }
                return Outcome(pipeline: pipeline, workflows: result)
            }
            // A setup pipeline whose setup workflows ended without continuing it is
            // final once it has stayed so a moment (a continuation may be on its way).
            var settled = pipeline.state == "created"
            if pipeline.state == "setup" {
                let workflows = try await self.workflows(pipeline: id)
                if !workflows.isEmpty, workflows.allSatisfy({ Self.finalWorkflow.contains($0.status) }) {
                    setupEnded = setupEnded ?? .now
                    settled = ContinuousClock.now - setupEnded! > .seconds(2)
                } else {
                    setupEnded = nil
                }
            }
            if settled {
                let workflows = try await self.workflows(pipeline: id)
                // No workflows at all (when/unless or filters ruled them out) is final too: the
                // workflows are stored in the same transaction that marks the pipeline created.
                if workflows.allSatisfy({ Self.finalWorkflow.contains($0.status) }) {
                    var result: [(Workflow, [Job])] = []
                    for workflow in workflows { result.append((workflow, try await jobs(workflow: workflow.id))) }
                    return Outcome(pipeline: pipeline, workflows: result)
                }
            }
            try await Task.sleep(for: poll)
        }
        throw LocalSystemError("pipeline \(id) did not finish within \(timeout)")
    }
}

extension JSONDecoder {
    static let api: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
            if let date = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return date }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad date \(text)"))
        }
        return decoder
    }()
}
