import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// The Postgres connection pool of one service process. Run it as a `Service`;
/// queries wait for a connection and fail with `StoreError.unavailable` when
/// Postgres cannot be reached.
public final class Database: Service, Sendable {
    public let client: PostgresClient
    public let logger: Logger

    public init(config: DatabaseConfig, maxConnections: Int = 10, logger: Logger) {
        var configuration = PostgresClient.Configuration(
            host: config.host, port: config.port, username: config.user, password: config.password,
            database: config.database, tls: .disable)
        configuration.options.maximumConnections = maxConnections
        configuration.options.connectTimeout = .seconds(2)
        configuration.options.keepAliveBehavior = .init(frequency: .seconds(15))
        self.client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the pool; ends when the service group shuts down (after the
    /// services that use it, which were started later, have stopped).
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await self.client.run()
        }
    }

    /// Runs `body` in a transaction (postgres-nio's `withTransaction`); commits
    /// when it returns, rolls back when it throws.
    public func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            // Callers match on their own errors (StoreError, APIError): hand back what failed.
            throw error.closureError ?? error.beginError ?? error.commitError ?? error
        }
    }

    @discardableResult
    public func query(_ query: PostgresQuery) async throws -> PostgresRowSequence {
        try await client.query(query, logger: logger)
    }

    /// A cheap round trip, for health checks.
    public func ping() async throws {
        try await client.query("SELECT 1", logger: logger)
    }
}

extension PostgresConnection {
    @discardableResult
    func run(_ query: PostgresQuery, _ logger: Logger) async throws -> PostgresRowSequence {
        try await self.query(query, logger: logger)
    }
}
