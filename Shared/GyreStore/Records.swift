import Foundation
import GyreModel

public struct ProjectRecord: Sendable, Equatable {
    public var slug: String
    public var vcsURL: String
    public var createdAt: Date
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
}

public struct StepRecord: Sendable {
    public var index: Int
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
