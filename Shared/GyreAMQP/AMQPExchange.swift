/// An exchange to declare.
public struct AMQPExchange: Sendable, Hashable {
    /// Exchange name.
    public var name: String
    /// Exchange type: "direct", "topic" or "fanout".
    public var type: String
    /// Whether the exchange survives a broker restart.
    public var durable: Bool

    /// Creates an exchange description.
    public init(name: String, type: String = "direct", durable: Bool = true) {
        self.name = name
        self.type = type
        self.durable = durable
    }
}
