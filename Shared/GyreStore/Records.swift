import Foundation
import GyreModel

public struct ProjectRecord: Sendable, Equatable {
    public var slug: String
    public var vcsURL: String
    public var createdAt: Date
    public var id: UUID? = nil
    public var organizationId: UUID? = nil
}

public struct PipelineError: Codable, Sendable, Equatable {
    public var type: String
    public var message: String

    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }
}

public struct PipelineRecord: Sendable {
    public var id: UUID
    public var projectSlug: String
    public var number: Int
    public var state: PipelineState
    public var branch: String?
    public var tag: String?
    public var revision: String?
    public var vcsURL: String
    public var triggerType: String
    public var triggerParameters: [String: String]
    public var errors: [PipelineError]
    public var actor: String
    public var createdAt: Date
    public var updatedAt: Date
    /// The user who triggered it (nil for webhooks, schedules and the operator).
    public var actorId: UUID? = nil
    /// The trigger request's parameters with their JSON types (strings, numbers, booleans).
    public var parameters: [String: ParameterValue] = [:]
    public var triggerSource: TriggerSource = .api
    /// Set for a scheduled pipeline: the workflow whose schedule fired.
    public var scheduledWorkflow: String? = nil
}

public struct WorkflowRecord: Sendable {
    public var id: UUID
    public var pipelineId: UUID
    public var pipelineNumber: Int
    public var projectSlug: String
    public var name: String
    public var status: WorkflowStatus
    public var createdAt: Date
    public var stoppedAt: Date?
    /// The workflow this one reruns.
    public var rerunOf: UUID? = nil
    public var canceledBy: String? = nil
    /// The user who triggered its pipeline.
    public var startedBy: UUID? = nil
}

public struct JobRecord: Sendable {
    public var id: UUID
    public var workflowId: UUID
    public var workflowName: String
    public var pipelineId: UUID
    public var projectSlug: String
    public var number: Int
    public var name: String
    public var requires: [String]
    public var status: JobStatus
    public var attempt: Int
    public var agentId: UUID?
    public var message: String?
    public var plan: JobPlan
    public var createdAt: Date
    public var queuedAt: Date?
    public var startedAt: Date?
    public var stoppedAt: Date?
    public var type: WorkflowJobType = .build
    public var contexts: [String] = []
    public var parallelism: Int = 1
    /// For a parallel run: the job (parent row) it is a run of, and which run.
    public var parentId: UUID? = nil
    public var nodeIndex: Int? = nil
    /// For a job copied into a rerun as already successful: the job that really ran.
    public var originJobId: UUID? = nil
}

/// One run of a parallel job (or the job itself when parallelism is 1).
public struct JobRunRecord: Sendable {
    public var id: UUID
    public var nodeIndex: Int
    public var status: JobStatus
    public var attempt: Int
    public var startedAt: Date?
    public var stoppedAt: Date?
}

/// Project settings (`GET/PATCH /api/v2/project/{slug}/settings`).
public struct ProjectSettings: Codable, Sendable, Equatable {
    public var autocancelBuilds: Bool

    public init(autocancelBuilds: Bool = false) {
        self.autocancelBuilds = autocancelBuilds
    }

    enum CodingKeys: String, CodingKey { case autocancelBuilds = "autocancel_builds" }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        autocancelBuilds = try container.decodeIfPresent(Bool.self, forKey: .autocancelBuilds) ?? false
    }
}

public struct StepRecord: Sendable {
    public var index: Int
    /// Which parallel run the step belongs to (0 when parallelism is 1).
    public var nodeIndex: Int = 0
    public var name: String
    public var kind: String
    public var status: StepStatus
    public var exitCode: Int?
    public var bytes: Int64
    public var startedAt: Date?
    public var stoppedAt: Date?
}

enum JSON {
    static func encode<T: Encodable>(_ value: T) -> String {
        (try? JSONEncoder().encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
            throw StoreError(.corrupt, "stored \(T.self) could not be read")
        }
    }
}
