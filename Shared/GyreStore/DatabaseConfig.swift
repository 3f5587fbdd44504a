import Foundation

/// Where Postgres is: parsed from `postgres://user:password@host:port/database`.
public struct DatabaseConfig: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String

    public init(host: String, port: Int, user: String, password: String?, database: String) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
    }

    public init(url: String) throws(StoreError) {
        guard let components = URLComponents(string: url),
              ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty
        else {
            throw StoreError(.invalidURL, "expected postgres://user:password@host:port/database")
        }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw StoreError(.invalidURL, "the Postgres URL names no database") }
        self.init(host: host, port: components.port ?? 5432, user: components.user ?? "postgres",
                  password: components.password, database: database)
    }

    /// The same server, another database (tests make one each).
    public func with(database: String) -> DatabaseConfig {
        var copy = self
        copy.database = database
        return copy
    }
}
