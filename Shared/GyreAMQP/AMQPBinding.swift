/// A queue-to-exchange binding to declare.
public struct AMQPBinding: Sendable, Hashable {
    /// Queue name.
    public var queue: String
    /// Exchange name.
    public var exchange: String
    /// Routing key (or pattern, for topic exchanges).
    public var routingKey: String

    /// Creates a binding description.
    public init(queue: String, exchange: String, routingKey: String) {
        self.queue = queue
        self.exchange = exchange
        self.routingKey = routingKey
    }
}
