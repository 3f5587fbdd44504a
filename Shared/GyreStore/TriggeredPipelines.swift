import Foundation
import GyreModel
import GyreProtocol
import Logging
import PostgresNIO

/// What a trigger other than the v2 API call asks for: a webhook, a v1.1
/// call or a schedule tick. (PipelineStore.createPipeline covers the v2 call.)
public struct PipelineRequest: Sendable, Equatable {
    public var project: ProjectSlug
    public var branch: String?
    public var tag: String?
    /// The commit to build; nil = the head of the branch or tag when the dispatcher compiles.
    public var revision: String?
    public var parameters: [String: String]
    /// `pipelines.trigger_type`, shown as `trigger.type` (webhook, api, schedule).
    public var triggerType: String
    public var triggerSource: TriggerSource
    /// Set for schedule ticks: the only workflow that runs.
    public var scheduledWorkflow: String?
    public var actor: String

    public init(project: ProjectSlug, branch: String?, tag: String?, revision: String? = nil,
                parameters: [String: String] = [:], triggerType: String, triggerSource: TriggerSource,
                scheduledWorkflow: String? = nil, actor: String) {
        self.project = project
        self.branch = branch
        self.tag = tag
        self.revision = revision
        self.parameters = parameters
        self.triggerType = triggerType
        self.triggerSource = triggerSource
        self.scheduledWorkflow = scheduledWorkflow
        self.actor = actor
    }
}

/// Pipeline creation inside a caller's transaction, so that the pipeline, the
/// record that makes the trigger idempotent (a webhook delivery, a schedule
/// tick) and the `PipelineCreated` message commit together or not at all.
enum TriggeredPipelines {
    /// Inserts a `pending` pipeline and its outbox message; nil when the project is not followed.
    static func insert(_ request: PipelineRequest, on connection: PostgresConnection, logger: Logger) async throws -> UUID? {
        let id = UUID()
        let numbers = try await connection.run("""
            UPDATE projects SET next_pipeline_number = next_pipeline_number + 1
            WHERE slug = \(request.project.description)
            RETURNING next_pipeline_number - 1, vcs_url
            """, logger)
        var found: (Int, String)?
        for try await row in numbers.decode((Int, String).self) { found = row }
        guard let (number, vcsURL) = found else { return nil }
        try await connection.run("""
            INSERT INTO pipelines (id, project_slug, number, state, branch, tag, revision, vcs_url, trigger_type,
                                   trigger_parameters, actor, trigger_source, scheduled_workflow)
            VALUES (\(id), \(request.project.description), \(number), 'pending', \(request.branch), \(request.tag),
                    \(request.revision), \(vcsURL), \(request.triggerType), \(JSON.encode(request.parameters))::jsonb,
                    \(request.actor), \(request.triggerSource.rawValue), \(request.scheduledWorkflow))
            """, logger)
        try await Outbox.add(PipelineCreated(pipelineId: id), routingKey: Topology.RoutingKey.pipelineCreated,
                             on: connection, logger: logger)
        return id
    }
}
