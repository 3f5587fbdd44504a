import Foundation
import GyreAMQP
import GyreProtocol
import GyreRedis
import GyreSecrets
import GyreStore
import Logging

/// Builders for the shared dependencies: each reads its URL from the
/// environment, records a configuration problem if it is malformed, and
/// registers its health check.
public extension GyreApplication {
    var topology: Topology { Topology(namespace: environment.namespace) }

    /// The Postgres pool plus the migration service; returns the gate that opens once the schema is ready.
    func postgres(maxConnections: Int = 10) -> (Database, StartupGate) {
        let config: DatabaseConfig
        do {
            config = try DatabaseConfig(url: environment.postgresURL)
        } catch {
            environment.problem("GYRE_POSTGRES_URL: \(error.message)")
            config = DatabaseConfig(host: "127.0.0.1", port: 5432, user: "gyre", password: nil, database: "gyre")
        }
        let database = Database(config: config, maxConnections: maxConnections, logger: logger)
        let gate = StartupGate()
        add(database)
        add(MigrationService(database: database, gate: gate, logger: logger))
        health.add("postgres") {
            try await database.ping()
            if !gate.isOpen { throw StoreError(.unavailable, "schema not applied yet") }
        }
        return (database, gate)
    }

    var amqpConfig: AMQPConfig {
        do {
            return try AMQPConfig(url: environment.amqpURL)
        } catch {
            environment.problem("GYRE_AMQP_URL: \(error.message)")
            return try! AMQPConfig(url: "amqp://guest:guest@127.0.0.1:5672/")
        }
    }

    /// The shared exchange and durable queues.
    var amqpTopology: AMQPTopology {
        let topology = self.topology
        return AMQPTopology(
            exchanges: [AMQPExchange(name: topology.exchange, type: "direct", durable: true)],
            queues: topology.durableQueues.map {
                AMQPQueue(name: $0.name, durable: true, messageTTLMilliseconds: $0.messageTTLMilliseconds)
            },
            bindings: topology.durableQueues.flatMap { spec in
                spec.routingKeys.map { AMQPBinding(queue: spec.name, exchange: topology.exchange, routingKey: $0) }
            })
    }

    func amqpPublisher() -> AMQPPublisher {
        let publisher = AMQPPublisher(config: amqpConfig, topology: amqpTopology, logger: logger)
        health.add("rabbitmq") { try await publisher.check() }
        return publisher
    }

    func amqpConsumer(queues: [String], prefetch: UInt16) -> AMQPConsumer {
        let consumer = AMQPConsumer(config: amqpConfig, topology: amqpTopology, queues: queues, prefetch: prefetch, logger: logger)
        health.add("rabbitmq-consumer") {
            if !consumer.isConnected { throw AMQPError(.closed, consumer.lastError ?? "not connected") }
        }
        return consumer
    }

    /// The outbox relay for this process (needs Postgres and RabbitMQ).
    func outboxRelay(database: Database, gate: StartupGate, publisher: AMQPPublisher) -> OutboxRelay {
        let relay = OutboxRelay(database: database, publisher: publisher, exchange: topology.exchange, gate: gate, logger: logger)
        add(relay)
        return relay
    }

    func redis() -> RedisClient {
        let client = RedisClient(config: redisConfig(), logger: logger)
        health.add("redis") { try await client.ping() }
        return client
    }
}

extension GyreApplication {
    /// GYRE_REDIS_URL as a configuration (a bad URL is reported on `/status`).
    public func redisConfig() -> RedisConfig {
        do {
            return try RedisConfig(url: environment.redisURL)
        } catch {
            environment.problem("GYRE_REDIS_URL: \(error.message)")
            return try! RedisConfig(url: "redis://127.0.0.1:6379/0")
        }
    }
}

extension GyreApplication {
    /// The data keys for secrets at rest, under the key-encryption key of GYRE_KEK_FILE (or GYRE_KEK).
    /// Without one (or with a bad one) `/status` answers 500 saying so, and secrets can be neither stored nor read.
    public func secretKeys(database: Database) -> SecretKeys? {
        do {
            guard let kek = try KeyEncryptionKey.fromEnvironment(environment.all(prefix: "GYRE_KEK")) else {
                environment.problem("GYRE_KEK_FILE: no key-encryption key; secrets (SSH keys, webhook secrets) cannot be "
                                    + "stored or read. Create one with `head -c 32 /dev/urandom | base64 > kek` and set GYRE_KEK_FILE")
                return nil
            }
            logger.info("secrets sealed under key-encryption key", metadata: ["kek_id": "\(kek.id)"])
            let variables = environment.all(prefix: "GYRE_KEK")
            return SecretKeys(database: database, kek: kek, reload: { try? KeyEncryptionKey.fromEnvironment(variables) })
        } catch {
            environment.problem("\(error)")
            return nil
        }
    }
}
