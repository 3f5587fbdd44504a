import GyreURL

/// Where and how to connect to Redis.
public struct RedisConfig: Sendable, CustomStringConvertible {
    /// Server host name or address.
    public var host: String
    /// Server TCP port.
    public var port: Int
    /// Database number (SELECT), 0 by default.
    public var database: Int
    /// ACL user name (Redis 6+), sent with the password; nil for the default user.
    public var username: String?
    /// Password (AUTH), if any. Never logged.
    public var password: String?
    /// Time allowed to open the TCP connection.
    public var connectTimeout: Duration = .seconds(1)
    /// Time allowed for each read or write of a command (or pipeline).
    public var commandTimeout: Duration = .seconds(2)

    /// Creates a configuration from its parts.
    public init(host: String = "127.0.0.1", port: Int = 6379, database: Int = 0, username: String? = nil,
                password: String? = nil) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`.
    ///
    /// `redis://:secret@host` sets only a password; `redis://user:secret@host` also a user name
    /// (Redis 6 ACL). Port defaults to 6379 and database to 0; a query string is ignored.
    public init(url: String) throws(RedisError) {
        let parsed: ParsedServerURL
        switch parseServerURL(url, schemes: ["redis"]) {
        case .success(let p): parsed = p
        case .failure(.badScheme):
            throw RedisError(.invalidURL, "Redis URL must start with redis:// (got \(redactedURL(url)))")
        case .failure(.malformed(let why)):
            throw RedisError(.invalidURL, "invalid Redis URL \(redactedURL(url)): \(why)")
        }
        var database = 0
        var path = parsed.rawPath
        if path.hasPrefix("/") { path = path.dropFirst() }
        if !path.isEmpty {
            guard path.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(path), n >= 0 else {
                throw RedisError(.invalidURL, "invalid Redis URL \(redactedURL(url)): database must be a number")
            }
            database = n
        }
        var username = parsed.user
        var password = parsed.password
        if password == nil, let u = username, !u.isEmpty {
            // redis://secret@host: a lone user-info part is the password (as redis-cli -u does).
            password = u
            username = nil
        }
        if username?.isEmpty == true { username = nil }
        if password?.isEmpty == true { password = nil }
        self.init(host: parsed.host.isEmpty ? "127.0.0.1" : parsed.host, port: parsed.port ?? 6379,
                  database: database, username: username, password: password)
    }

    /// `redis://host:port/db` (credentials shown as `***`).
    public var description: String {
        let auth = password == nil ? "" : "\(username ?? ""):***@"
        return "redis://\(auth)\(host):\(port)/\(database)"
    }
}

/// The URL with any password replaced by "***", for error messages.
func redactedURL(_ url: String) -> String {
    guard let schemeEnd = url.firstRange(of: "://") else { return url.count > 64 ? String(url.prefix(64)) + "…" : url }
    let rest = url[schemeEnd.upperBound...]
    let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
    let authority = rest[..<authorityEnd]
    guard let at = authority.lastIndex(of: "@") else { return url }
    if let colon = authority[..<at].firstIndex(of: ":") {
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
    return String(url[..<schemeEnd.upperBound]) + "***" + String(url[at...])
}
