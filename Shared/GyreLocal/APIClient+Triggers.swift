import Foundation

/// Trigger calls: GitHub-format webhooks, the webhook secret, the v1.1
/// trigger and build calls, and project SSH keys.
extension APIClient {
    /// Sends a webhook; `signature` nil = no `X-Hub-Signature-256` header.
    public func webhook(event: String, delivery: String, body: Data, signature: String?) async -> (status: Int, body: String) {
        var headers = ["X-GitHub-Event": event, "X-GitHub-Delivery": delivery]
        if let signature { headers["X-Hub-Signature-256"] = signature }
        let (status, response) = await http.send("POST", base.appendingPathComponent("webhooks/github"), body: body,
                                                  headers: headers)
        return (status, String(decoding: response, as: UTF8.self))
    }

    public struct WebhookAnswer: Decodable, Sendable {
        public var message: String
        public var id: UUID?
        public var number: Int?
    }

    public func setWebhookSecret(_ slug: String, _ secret: String, adminToken: String? = nil) async throws {
        struct Answer: Decodable { var message: String }
        _ = try await call("PUT", "api/v2/project/\(slug)/webhook-secret", body: ["secret": secret], as: Answer.self,
                           headers: adminToken.map { ["Circle-Token": $0] } ?? [:])
    }

    /// A pipeline with what triggered it and its VCS fields.
    public struct PipelineTrigger: Decodable, Sendable {
        public struct Trigger: Decodable, Sendable {
            public var type: String
        }

        public struct VCS: Decodable, Sendable {
            public var branch: String?
            public var tag: String?
            public var revision: String?
        }

        public var id: UUID
        public var number: Int
        public var state: String
        public var trigger: Trigger
        public var vcs: VCS
    }

    public func pipelineTrigger(_ id: UUID) async throws -> PipelineTrigger {
        try await call("GET", "api/v2/pipeline/\(id.uuidString.lowercased())", as: PipelineTrigger.self)
    }

    public struct V11Triggered: Decodable, Sendable {
        public var status: Int
        public var body: String
        public var pipeline_id: UUID
        public var pipeline_number: Int?
        public var note: String?
    }

    public func triggerV11(_ slug: String, branch: String, body: [String: Any] = [:]) async throws -> V11Triggered {
        // A '/' in the branch travels as %2F, as CircleCI's clients send it (appendingPathComponent would encode the '%').
        let encoded = branch.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(.init(charactersIn: "-._~"))) ?? branch
        let root = base.absoluteString.hasSuffix("/") ? String(base.absoluteString.dropLast()) : base.absoluteString
        let url = URL(string: "\(root)/api/v1.1/project/\(slug)/tree/\(encoded)")!
        let (status, response) = await http.send("POST", url, body: try JSONSerialization.data(withJSONObject: body))
        guard (200..<300).contains(status) else {
            throw APIFailure(status: status, body: String(decoding: response, as: UTF8.self))
        }
        return try JSONDecoder.api.decode(V11Triggered.self, from: response)
    }

    public struct V11Build: Decodable, Sendable {
        public struct ResourceClass: Decodable, Sendable {
            public var `class`: String
            public var cpu: Double?
            public var ram: Int?
        }

        public struct Picard: Decodable, Sendable {
            public var resource_class: ResourceClass
            public var executor: String
        }

        public struct Workflows: Decodable, Sendable {
            public var workflow_id: UUID
            public var workflow_name: String
            public var job_name: String
        }

        public struct Action: Decodable, Sendable {
            public var index: Int
            public var step: Int
            public var name: String
            public var status: String
            public var exit_code: Int?
            public var run_time_millis: Int?
            public var output_url: String?
        }

        public struct Step: Decodable, Sendable {
            public var name: String
            public var actions: [Action]
        }

        public var build_num: Int
        public var status: String
        public var lifecycle: String
        public var outcome: String?
        public var branch: String?
        public var vcs_revision: String?
        public var vcs_url: String
        public var start_time: Date?
        public var stop_time: Date?
        public var build_time_millis: Int?
        public var parallel: Int
        public var picard: Picard
        public var workflows: Workflows
        public var steps: [Step]?
    }

    public func buildV11(_ slug: String, number: Int) async throws -> V11Build {
        try await call("GET", "api/v1.1/project/\(slug)/\(number)", as: V11Build.self)
    }

    public func recentBuildsV11(_ slug: String) async throws -> [V11Build] {
        try await call("GET", "api/v1.1/project/\(slug)", as: [V11Build].self)
    }

    public struct SSHKey: Decodable, Sendable {
        public var fingerprint: String
        public var fingerprint_sha256: String
        public var hostname: String
        public var type: String
        public var public_key: String
        public var private_key: String?
    }

    public func addSSHKey(_ slug: String, hostname: String, privateKey: String) async throws -> SSHKey {
        try await call("POST", "api/v1.1/project/\(slug)/ssh-key", body: ["hostname": hostname, "private_key": privateKey],
                       as: SSHKey.self)
    }

    public func sshKeys(_ slug: String) async throws -> [SSHKey] {
        try await call("GET", "api/v1.1/project/\(slug)/ssh-key", as: [SSHKey].self)
    }

    /// The output-processor's internal key endpoint (what a build agent calls); `self.base` must be that service.
    public func internalSSHKeys(_ slug: String, fingerprints: [String]) async throws -> [SSHKey] {
        struct Answer: Decodable { var keys: [SSHKey] }
        var components = URLComponents(url: base.appendingPathComponent("internal/v1/projects/\(slug)/ssh-keys"),
                                       resolvingAgainstBaseURL: false)!
        if !fingerprints.isEmpty { components.queryItems = fingerprints.map { URLQueryItem(name: "fingerprint", value: $0) } }
        // '+' in base64 fingerprints must not read as a space.
        components.percentEncodedQuery = components.percentEncodedQuery?.replacingOccurrences(of: "+", with: "%2B")
        let (status, data) = await http.send("GET", components.url!, body: nil)
        guard status == 200 else { throw APIFailure(status: status, body: String(decoding: data, as: UTF8.self)) }
        return try JSONDecoder.api.decode(Answer.self, from: data).keys
    }
}
