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
                    try await ingest.handle(MessageCodec.decode(JobEvent.self, from: delivery.body))
                },
            ],
            concurrency: environment.int("GYRE_OUTPUT_CONCURRENCY", default: 32, range: 1...1024),
            gate: gate, logger: app.logger, afterHandling: { relay.notify() }))
        return app
    }
}

/// Makes one job event durable: output to the storage directory (flushed)
/// and the Redis live tail, status to Postgres.
struct OutputIngest: Sendable {
    let store: OutputStore
    let logs: StepLogStorage
    let redis: RedisClient
    let namespace: String
    let logger: Logger

    func handle(_ event: JobEvent) async throws {
        if case .output(let index, let offset, let data) = event.kind {
            let bytes = Array(data)
            try logs.write(job: event.jobId, attempt: event.attempt, step: index, offset: offset, bytes: bytes)
            let key = LiveTail.key(namespace: namespace, job: event.jobId, attempt: event.attempt, step: index)
            do {
                _ = try await redis.pipeline([
                    [Array("SETRANGE".utf8), Array(key.utf8), Array(String(offset).utf8), bytes],
                    [Array("EXPIRE".utf8), Array(key.utf8), Array(String(LiveTail.expirySeconds).utf8)],
                    [Array("PUBLISH".utf8), Array(LiveTail.channel(namespace: namespace, job: event.jobId).utf8),
                     Array(String(index).utf8)],
                ])
            } catch {
                // The stored copy is durable already; readers fall back to it.
                logger.warning("live tail not updated", metadata: ["error": "\(error)"])
            }
            return
        }
        try await store.apply(event)
    }
}
