import Foundation

/// Workflow control calls: approve, cancel, rerun, project settings, and the
/// fuller job shapes they need.
extension APIClient {
    /// The raw status and body of a call, for checking error answers.
    public func send(_ method: String, _ path: String, body: [String: Any]? = nil) async throws -> (status: Int, body: String) {
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let (status, response) = await http.send(method, base.appendingPathComponent(path), body: data, headers: [:])
        return (status, String(decoding: response, as: UTF8.self))
    }

    /// Triggers a pipeline with pipeline parameters.
    public func trigger(_ slug: String, branch: String? = "main", tag: String? = nil,
                        parameters: [String: Any]) async throws -> Created {
        var body: [String: Any] = ["parameters": parameters]
        if let tag { body["tag"] = tag } else if let branch { body["branch"] = branch }
        return try await call("POST", "api/v2/project/\(slug)/pipeline", body: body, as: Created.self)
    }

    public struct Message: Decodable, Sendable {
        public var message: String
    }

    public func approve(workflow: UUID, request: UUID) async throws -> Message {
        try await call("POST", "api/v2/workflow/\(workflow.uuidString.lowercased())/approve/\(request.uuidString.lowercased())",
                       as: Message.self)
    }

    public func cancel(workflow: UUID) async throws -> Message {
        try await call("POST", "api/v2/workflow/\(workflow.uuidString.lowercased())/cancel", as: Message.self)
    }

    public func cancel(_ slug: String, job number: Int) async throws -> Message {
        try await call("POST", "api/v2/project/\(slug)/job/\(number)/cancel", as: Message.self)
    }

    public struct Rerun: Decodable, Sendable {
        public var workflow_id: UUID
    }

    public func rerun(workflow: UUID, fromFailed: Bool = false, jobs: [UUID] = []) async throws -> UUID {
        var body: [String: Any] = ["from_failed": fromFailed, "sparse_tree": false]
        if !jobs.isEmpty { body["jobs"] = jobs.map { $0.uuidString.lowercased() } }
        return try await call("POST", "api/v2/workflow/\(workflow.uuidString.lowercased())/rerun", body: body,
                              as: Rerun.self).workflow_id
    }

    public struct ProjectSettings: Decodable, Sendable {
        public struct Advanced: Decodable, Sendable {
            public var autocancel_builds: Bool?
        }

        public var advanced: Advanced
    }

    public func settings(_ slug: String) async throws -> ProjectSettings {
        try await call("GET", "api/v2/project/\(slug)/settings", as: ProjectSettings.self)
    }

    public func setAutoCancel(_ slug: String, _ enabled: Bool) async throws -> ProjectSettings {
        try await call("PATCH", "api/v2/project/\(slug)/settings", body: ["advanced": ["autocancel_builds": enabled]],
                       as: ProjectSettings.self)
    }

    public struct WorkflowJob: Decodable, Sendable {
        public var id: UUID
        public var name: String
        public var status: String
        public var type: String
        public var job_number: Int?
        public var approval_request_id: UUID?
        public var dependencies: [UUID]
        public var started_at: Date?
        public var stopped_at: Date?
    }

    public func workflowJobs(_ workflow: UUID) async throws -> [WorkflowJob] {
        try await call("GET", "api/v2/workflow/\(workflow.uuidString.lowercased())/job", as: Page<WorkflowJob>.self).items
    }

    public func workflow(_ id: UUID) async throws -> Workflow {
        try await call("GET", "api/v2/workflow/\(id.uuidString.lowercased())", as: Workflow.self)
    }

    public struct JobDetail: Decodable, Sendable {
        public struct Run: Decodable, Sendable {
            public var index: Int
            public var status: String
        }

        public struct Context: Decodable, Sendable {
            public var name: String
        }

        public struct Message: Decodable, Sendable {
            public var type: String
            public var message: String
            public var reason: String?
        }

        public var number: Int
        public var name: String
        public var status: String
        public var parallelism: Int
        public var parallel_runs: [Run]
        public var contexts: [Context]
        public var started_at: Date?
        public var stopped_at: Date?
        public var messages: [Message]

        /// Why the job waits (`messages` entry of type `waiting`), if it does.
        public var waiting: Message? { messages.first { $0.type == "waiting" } }
    }

    public func job(_ slug: String, number: Int) async throws -> JobDetail {
        try await call("GET", "api/v2/project/\(slug)/job/\(number)", as: JobDetail.self)
    }

    public struct NodeStep: Decodable, Sendable {
        public var index: Int
        public var node_index: Int
        public var name: String
        public var status: String
        public var output: String
    }

    public func nodeSteps(_ slug: String, job number: Int) async throws -> [NodeStep] {
        try await call("GET", "api/v2/project/\(slug)/job/\(number)/steps", as: Page<NodeStep>.self).items
    }

    /// One step's output on one node of a (parallel) job.
    public func stepOutput(_ slug: String, job number: Int, step index: Int, node: Int) async throws -> String {
        var components = URLComponents(url: base.appendingPathComponent("api/v2/project/\(slug)/job/\(number)/steps/\(index)/output"),
                                       resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "node_index", value: String(node))]
        guard let url = components?.url else { throw LocalSystemError("bad step output URL") }
        let (status, response) = await http.send("GET", url, body: nil, headers: [:])
        guard (200..<300).contains(status) else {
            throw APIFailure(status: status, body: String(decoding: response, as: UTF8.self))
        }
        return String(decoding: response, as: UTF8.self)
    }

    /// Polls a workflow until `done` holds for it and its jobs.
    public func waitForWorkflow(_ id: UUID, timeout: Duration = .seconds(120),
                                until done: @Sendable (Workflow, [WorkflowJob]) -> Bool) async throws -> (Workflow, [WorkflowJob]) {
        let deadline = ContinuousClock.now + timeout
        var last: (Workflow, [WorkflowJob])?
        while ContinuousClock.now < deadline {
            let workflow = try await self.workflow(id)
            let jobs = try await workflowJobs(id)
            if done(workflow, jobs) { return (workflow, jobs) }
            last = (workflow, jobs)
            try await Task.sleep(for: .milliseconds(100))
        }
        let state = last.map { "\($0.0.status): " + $0.1.map { "\($0.name)=\($0.status)" }.joined(separator: ", ") } ?? "-"
        throw LocalSystemError("workflow \(id) did not reach the expected state within \(timeout) (last: \(state))")
    }

    /// Polls a workflow until its status is final (success, failed, error, canceled, not_run, unauthorized).
    public func waitForWorkflow(_ id: UUID, timeout: Duration = .seconds(120)) async throws -> Workflow {
        try await waitForWorkflow(id, timeout: timeout) { workflow, _ in Self.finalWorkflow.contains(workflow.status) }.0
    }

    /// Polls until a pipeline has compiled and has its workflows.
    public func waitForWorkflows(pipeline id: UUID, timeout: Duration = .seconds(120)) async throws -> [Workflow] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let pipeline = try await self.pipeline(id)
            if pipeline.state == "errored" {
                throw LocalSystemError("pipeline \(id) errored: \(pipeline.errors.map(\.message))")
            }
            if pipeline.state == "created" {
                return try await workflows(pipeline: id)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw LocalSystemError("pipeline \(id) was not compiled within \(timeout)")
    }
}
