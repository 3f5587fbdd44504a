import GyreURL

/// Where and how to connect to the AMQP broker.
public struct AMQPConfig: Sendable, CustomStringConvertible {
    /// Broker host name or address.
    public var host: String
    /// Broker TCP port.
    public var port: Int
    /// User name (SASL PLAIN).
    public var user: String
    /// Password (SASL PLAIN). Never logged.
    public var password: String
    /// Virtual host, e.g. "/".
    public var vhost: String
    /// Time allowed for the TCP connect and, separately, for the AMQP handshake.
    public var connectTimeout: Duration = .seconds(2)
    /// Time allowed for a synchronous broker operation (declare, consume, close…)
    /// and for the publisher's wait for confirms.
    public var operationTimeout: Duration = .seconds(10)
    /// Shown as the connection name in the RabbitMQ management UI (suffixed with the role).
    public var connectionName: String?

    /// Creates a configuration from its parts.
    public init(host: String = "127.0.0.1", port: Int = 5672, user: String = "guest", password: String = "guest",
                vhost: String = "/", connectionName: String? = nil) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.vhost = vhost
        self.connectionName = connectionName
    }

    /// Parses `amqp://user:pass@host:port/vhost`.
    ///
    /// User, password and vhost are percent-decoded; an empty or "/" path means vhost "/",
    /// and `/%2f` (or `/%2F`) also means "/". Missing parts default to guest/guest,
    /// localhost and port 5672. A query string (e.g. `?heartbeat=…`) is ignored.
    public init(url: String) throws(AMQPError) {
        let parsed: ParsedServerURL
        switch parseServerURL(url, schemes: ["amqp"]) {
        case .success(let p): parsed = p
        case .failure(.badScheme):
            throw AMQPError(.invalidURL, "AMQP URL must start with amqp:// (got \(redactedURL(url)))")
        case .failure(.malformed(let why)):
            throw AMQPError(.invalidURL, "invalid AMQP URL \(redactedURL(url)): \(why)")
        }
        var vhost = "/"
        var path = parsed.rawPath
        if path.hasPrefix("/") { path = path.dropFirst() }
        if !path.isEmpty {
            guard !path.contains("/") else {
                throw AMQPError(.invalidURL, "invalid AMQP URL \(redactedURL(url)): vhost must be percent-encoded (use %2f for \"/\")")
            }
            guard let decoded = percentDecode(path) else {
                throw AMQPError(.invalidURL, "invalid AMQP URL \(redactedURL(url)): bad escape in vhost")
            }
            vhost = decoded
        }
        self.init(host: parsed.host.isEmpty ? "localhost" : parsed.host,
                  port: parsed.port ?? 5672,
                  user: parsed.user ?? "guest",
                  password: parsed.password ?? "guest",
                  vhost: vhost)
    }

    /// `amqp://user:***@host:port/vhost`, without the password.
    public var description: String {
        let v = vhost == "/" ? "%2f" : vhost
        return "amqp://\(user):***@\(host):\(port)/\(v)"
    }
}

/// The URL with any password replaced by "***", for error messages.
func redactedURL(_ url: String) -> String {
    guard let schemeEnd = url.firstRange(of: "://") else { return url.count > 64 ? String(url.prefix(64)) + "…" : url }
    let rest = url[schemeEnd.upperBound...]
    let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
    let authority = rest[..<authorityEnd]
    guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return url }
    return String(url[..<colon]) + ":***" + String(url[at...])
}
