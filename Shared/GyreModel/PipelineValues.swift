import Foundation

/// A pipeline parameter value as passed in a trigger request
/// (`{"parameters": {"deploy": true, "env": "staging", "count": 3}}`).
public enum ParameterValue: Codable, Sendable, Equatable, Hashable, CustomStringConvertible {
    case string(String)
    case integer(Int)
    case number(Double)
    case boolean(Bool)

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Bool.self) {
            self = .boolean(value)
        } else if let value = try? container.decode(Int.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else {
            throw DecodingError.dataCorruptedError(in: container,
                debugDescription: "a pipeline parameter must be a string, a number or a boolean")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .number(let value): try container.encode(value)
        case .boolean(let value): try container.encode(value)
        }
    }

    /// As interpolated into a config (`<< pipeline.parameters.x >>`).
    public var description: String {
        switch self {
        case .string(let value): return value
        case .integer(let value): return String(value)
        case .number(let value): return String(value)
        case .boolean(let value): return value ? "true" : "false"
        }
    }
}

/// What started a pipeline (`pipeline.trigger_source`).
public enum TriggerSource: String, Codable, Sendable, Equatable {
    case api
    case webhook
    /// A `triggers: schedule` tick; only the workflow(s) named in
    /// `PipelineValues.scheduledWorkflow` run.
    case scheduledPipeline = "scheduled_pipeline"
}

/// The `pipeline.*` values a config can interpolate, known when the pipeline is created.
public struct PipelineValues: Codable, Sendable, Equatable {
    public var id: UUID
    public var number: Int
    public var projectGitURL: String
    /// `github` or `bitbucket`.
    public var projectType: String
    public var gitBranch: String?
    public var gitTag: String?
    public var gitRevision: String
    public var gitBaseRevision: String?
    public var triggerSource: TriggerSource
    /// Set when `triggerSource == .scheduledPipeline`: the workflow whose schedule fired.
    public var scheduledWorkflow: String?
    /// `gh/org/repo` (`pipeline.project.slug`).
    public var projectSlug: String?
    /// `pipeline.trigger_parameters.*`, by dotted name below it (`circleci.trigger_type`, ...).
    public var triggerParameters: [String: String] = [:]

    public init(id: UUID, number: Int, projectGitURL: String, projectType: String = "github", gitBranch: String?,
                gitTag: String?, gitRevision: String, gitBaseRevision: String? = nil,
                triggerSource: TriggerSource = .api, scheduledWorkflow: String? = nil, projectSlug: String? = nil,
                triggerParameters: [String: String] = [:]) {
        self.projectSlug = projectSlug
        self.triggerParameters = triggerParameters
        self.id = id
        self.number = number
        self.projectGitURL = projectGitURL
        self.projectType = projectType
        self.gitBranch = gitBranch
        self.gitTag = gitTag
        self.gitRevision = gitRevision
        self.gitBaseRevision = gitBaseRevision
        self.triggerSource = triggerSource
        self.scheduledWorkflow = scheduledWorkflow
    }
}
