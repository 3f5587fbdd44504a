import Foundation
import GyreProtocol
import GyreRedis
import GyreServiceKit
import GyreStore
import Logging

/// Step output, step and job status (the output-processor).
public enum OutputProcessor {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "output-processor", defaultPort: 8585, environment: environment)
        let (database, gate) = app.postgres(maxConnections: 16)
        let relay = app.outboxRelay(database: database, gate: gate, publisher: app.amqpPublisher())
        let ingest = OutputIngest(store: OutputStore(database: database),
                                  logs: StepLogStorage(root: environment.storageDirectory),
                                  redis: app.redis(), namespace: environment.namespace, logger: app.logger)
        let storage = environment.storageDirectory
        let storageStore = StorageStore(database: database, cacheRetentionDays: StorageAPI.cacheRetentionDays(environment))
        let storageAPI = StorageAPI(store: storageStore, storageDirectory: storage,
                                    maxUploadBytes: StorageAPI.maxUploadBytes(environment), logger: app.logger)
        let agentAuth = AgentAuthMiddleware(store: storageStore,
                                            internalToken: environment.optionalString("GYRE_INTERNAL_TOKEN"))
        app.routes { router in
            router.add(middleware: agentAuth)
            storageAPI.register(on: router)
        }
        app.add(StorageReaper(store: storageStore, files: BlobFiles(root: storage), gate: gate, logger: app.logger))
        let sshKeyAPI = SSHKeyAPI(store: SSHKeyStore(database: database, secrets: app.secretKeys(database: database)))
        app.routes { router in sshKeyAPI.register(on: router) }
        app.health.add("storage") {
            try FileManager.default.createDirectory(atPath: storage, withIntermediateDirectories: true)
            guard FileManager.default.isWritableFile(atPath: storage) else {
                throw StoreError(.unavailable, "\(storage) is not writable")
            }
        }
        let topology = app.topology
        let consumer = app.amqpConsumer(queues: [topology.outputJobEvents], prefetch: 256)
        app.add(QueueConsumerService(
            consumer: consumer,
            handlers: [
                topology.outputJobEvents: { delivery in
                    try await ingest.handle(JobEventBatch.decode(delivery.body))
                },
            ],
            concurrency: environment.int("GYRE_OUTPUT_CONCURRENCY", default: 32, range: 1...1024),
            gate: gate, logger: app.logger, afterHandling: { relay.notify() }))
        return app
    }
}

/// Makes a batch of job events durable: output to the storage directory
/// (each file flushed once) and the Redis live tail, then status to Postgres
/// in one transaction, so a job never reads as finished before its output is on disk.
struct OutputIngest: Sendable {
    let store: OutputStore
    let logs: StepLogStorage
    let redis: RedisClient
    let namespace: String
    let logger: Logger

    struct StepFile: Hashable {
        var job: UUID
        var attempt: Int
        var step: Int
    }

    func handle(_ batch: JobEventBatch) async throws {
        var files = Set<StepFile>()
        var live: [[[UInt8]]] = []
        var jobs = Set<UUID>()
        for event in batch.events {
            guard case .output(let index, let offset, let data) = event.kind else { continue }
            let bytes = Array(data)
            try logs.write(job: event.jobId, attempt: event.attempt, step: index, offset: offset, bytes: bytes, sync: false)
            files.insert(StepFile(job: event.jobId, attempt: event.attempt, step: index))
            jobs.insert(event.jobId)
            let part = LiveTail.part(of: bytes, at: offset)
            guard !part.isEmpty else { continue }
            let key = Array(LiveTail.key(namespace: namespace, job: event.jobId, attempt: event.attempt, step: index).utf8)
            live.append([Array("SETRANGE".utf8), key, Array(String(offset).utf8), Array(part)])
            live.append([Array("EXPIRE".utf8), key, Array(String(LiveTail.expirySeconds).utf8)])
        }
        for file in files {
            try logs.flush(job: file.job, attempt: file.attempt, step: file.step)
        }
        if !jobs.isEmpty {
            for job in jobs {
                live.append([Array("PUBLISH".utf8), Array(LiveTail.channel(namespace: namespace, job: job).utf8), Array("output".utf8)])
            }
            do {
                _ = try await redis.pipeline(live)
            } catch {
                // The stored copy is durable already; readers fall back to it.
                logger.warning("live tail not updated", metadata: ["error": "\(error)"])
            }
        }
        // An earlier batch of the same job may still be in flight (handled
        // concurrently here or by another replica): wait for it briefly, then
        // hand the batch back to the queue.
        var delay = Duration.milliseconds(1)
        var waited = Duration.zero
        while true {
            do {
                try checkOutputStored(batch)
                try await store.apply(batch.events)
                await announceStatus(batch)
                return
            } catch let error as StoreError where error.code == .notReady && waited < .seconds(2) {
                try await Task.sleep(for: delay)
                waited += delay
                delay = min(delay * 2, .milliseconds(10))
            }
        }
    }

    /// Pages following a job (the frontend's WebSocket) hear of its steps starting and finishing at once.
    func announceStatus(_ batch: JobEventBatch) async {
        var jobs: [UUID] = []
        for event in batch.events {
            if case .output = event.kind { continue }
            if !jobs.contains(event.jobId) { jobs.append(event.jobId) }
        }
        guard !jobs.isEmpty else { return }
        do {
            _ = try await redis.pipeline(jobs.map { job in
                [Array("PUBLISH".utf8), Array(LiveTail.statusChannel(namespace: namespace, job: job).utf8), Array("status".utf8)]
            })
        } catch {
            logger.warning("job status not announced", metadata: ["error": "\(error)"])
        }
    }

    /// A step is finished only once all of its output is on disk.
    func checkOutputStored(_ batch: JobEventBatch) throws(StoreError) {
        for event in batch.events {
            guard case .stepFinished(let index, _, _, let bytes) = event.kind, bytes > 0 else { continue }
            let size = logs.size(job: event.jobId, attempt: event.attempt, step: index)
            guard size >= bytes else {
                throw StoreError(.notReady, "step \(index) of job \(event.jobId) finished with \(bytes) bytes of output, "
                                 + "\(size) stored so far; retrying once the rest arrive")
            }
        }
    }
}
