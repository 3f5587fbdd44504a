import Foundation
import GyreConfig
import GyreGit
import GyreModel
import GyreProtocol
import GyreServiceKit
import GyreStore
import Logging

/// Config processing and workflow orchestration.
public enum Dispatcher {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "dispatcher", defaultPort: 9999, environment: environment)
        let (database, gate) = app.postgres()
        let relay = app.outboxRelay(database: database, gate: gate, publisher: app.amqpPublisher())
        let git: Git?
        do {
            git = try Git()
        } catch {
            environment.problem("git: \(error.message)")
            git = nil
        }
        var classMap = ResourceClassMap()
        do {
            classMap = try ResourceClassMap(parsing: environment.string("GYRE_RESOURCE_CLASS_MAP", default: ""))
        } catch {
            environment.problem(error.description)
        }
        let processor = PipelineProcessor(
            store: DispatcherStore(database: database, secrets: app.secretKeys(database: database)), git: git, classMap: classMap,
            cacheDirectory: environment.string("GYRE_GIT_CACHE", default: "/var/cache/gyre/git"), logger: app.logger,
            orbs: OrbCache(store: OrbStore(database: database),
                           directory: environment.orbDirectory.map { URL(fileURLWithPath: $0) }))
        let topology = app.topology
        let advancer = WorkflowAdvancer(store: processor.store, logger: app.logger)
        app.add(advancer)
        let consumer = app.amqpConsumer(queues: [topology.dispatcherPipelineCreated, topology.dispatcherJobFinished],
                                        prefetch: 128)
        app.add(QueueConsumerService(
            consumer: consumer,
            handlers: [
                topology.dispatcherPipelineCreated: { delivery in
                    if delivery.type == PipelineContinued.type {
                        try await processor.processContinuation(
                            MessageCodec.decode(PipelineContinued.self, from: delivery.body).pipelineId)
                    } else {
                        try await processor.process(MessageCodec.decode(PipelineCreated.self, from: delivery.body).pipelineId)
                    }
                },
                topology.dispatcherJobFinished: { delivery in
                    let finished = try MessageCodec.decode(JobFinished.self, from: delivery.body)
                    try await advancer.advance(finished.workflowId)
                },
            ],
            concurrency: environment.int("GYRE_DISPATCHER_CONCURRENCY", default: 32, range: 1...1024),
            gate: gate, logger: app.logger, afterHandling: { relay.notify() }))
        app.add(ScheduleTicker(store: ScheduleStore(database: database), gate: gate,
                               slotSeconds: environment.int("GYRE_SCHEDULE_TICK_SECONDS", default: 60, range: 1...3600),
                               logger: app.logger, onFired: { relay.notify() }))
        return app
    }
}

/// Turns a pending pipeline into workflows and jobs, or into an errored
/// pipeline whose errors say what to fix.
struct PipelineProcessor: Sendable {
    let store: DispatcherStore
    let git: Git?
    /// GYRE_RESOURCE_CLASS_MAP: machine/macOS/Windows classes routed to runner classes.
    let classMap: ResourceClassMap
    let cacheDirectory: String
    let logger: Logger
    /// Imported registry orbs (Postgres, GYRE_ORB_DIR) and the shipped ones.
    let orbs: OrbCache

    /// The `pipeline.*` values of a pipeline at a revision.
    func process(_ id: UUID) async throws {
        guard let pipeline = try await store.pendingPipeline(id) else { return }
        var logger = self.logger
        logger[metadataKey: "pipeline_id"] = "\(id)"
        guard let git else {
            try await store.storeErrored(pipeline: id, revision: nil,
                                         errors: [PipelineError(type: "config-fetch", message: "git is not installed on the dispatcher")])
            return
        }
        let revision: String
        let source: String?
        do {
            let mirror = try await git.updateMirror(url: pipeline.vcsURL, cacheDirectory: cacheDirectory)
            // A webhook pins the commit it announced; otherwise the branch or tag head.
            if let pinned = pipeline.revision, !pinned.isEmpty {
                revision = try await git.resolve(mirror: mirror, revision: pinned)
            } else {
                revision = try await git.resolve(mirror: mirror, branch: pipeline.branch, tag: pipeline.tag)
            }
            source = try await git.show(mirror: mirror, revision: revision, path: ".circleci/config.yml")
        } catch {
            logger.info("cannot fetch the config", metadata: ["error": "\(error)"])
            try await store.storeErrored(pipeline: id, revision: nil, errors: [
                PipelineError(type: "config-fetch", message: "cannot read the repository \(pipeline.vcsURL): \(error)"),
            ])
            return
        }
        guard let source else {
            try await store.storeErrored(pipeline: id, revision: revision, errors: [
                PipelineError(type: "config", message: ".circleci/config.yml was not found at revision \(revision)"),
            ])
            return
        }
        do {
            let compiler = try await orbs.compiler(for: source)
            let plan = classMap.apply(to: try compiler.compile(yaml: source, parameters: pipeline.parameters,
                                                               pipeline: pipeline.values(revision: revision)))
            _ = try await store.storeCompiled(pipeline: id, revision: revision, plan: plan, source: source)
            await ScheduleTicker.record(plan: plan, project: pipeline.projectSlug, branch: pipeline.branch,
                                        store: ScheduleStore(database: store.database), logger: logger)
            logger.info("pipeline compiled", metadata: ["workflows": "\(plan.workflows.count)"])
        } catch let errors as ConfigErrors {
            try await store.storeErrored(pipeline: id, revision: revision,
                                         errors: errors.errors.map { PipelineError(type: "config", message: $0.description) },
                                         source: source)
            logger.info("pipeline config is invalid", metadata: ["errors": "\(errors.errors.count)"])
        }
    }

    /// A setup pipeline was continued: compile the configuration it was
    /// continued with (never a setup one) and add its workflows.
    func processContinuation(_ id: UUID) async throws {
        guard let (pipeline, configuration, parameters) = try await store.pendingContinuation(id) else { return }
        var logger = self.logger
        logger[metadataKey: "pipeline_id"] = "\(id)"
        do {
            let compiler = try await orbs.compiler(for: configuration)
            let plan = classMap.apply(to: try compiler.compile(
                yaml: configuration, parameters: parameters,
                pipeline: pipeline.values(revision: pipeline.revision ?? ""), continuation: true))
            _ = try await store.storeContinued(pipeline: id, plan: plan)
            logger.info("pipeline continued", metadata: ["workflows": "\(plan.workflows.count)"])
        } catch let errors as ConfigErrors {
            try await store.storeContinuationErrored(pipeline: id, errors: errors.errors.map {
                PipelineError(type: "config", message: "continuation configuration: \($0.description)")
            })
            logger.info("continuation config is invalid", metadata: ["errors": "\(errors.errors.count)"])
        }
    }
}
