/// A message to publish.
public struct AMQPOutgoingMessage: Sendable {
    /// Exchange name ("" for the default exchange, which routes by queue name).
    public var exchange: String
    /// Routing key.
    public var routingKey: String
    /// Message body.
    public var body: [UInt8]
    /// The `message-id` property (used by consumers for de-duplication).
    public var messageId: String
    /// The `type` property, if any.
    public var type: String?
    /// Delivery mode 2 (persisted by durable queues) when true.
    public var persistent: Bool

    /// Creates a message.
    public init(exchange: String, routingKey: String, body: [UInt8], messageId: String, type: String? = nil,
                persistent: Bool = true) {
        self.exchange = exchange
        self.routingKey = routingKey
        self.body = body
        self.messageId = messageId
        self.type = type
        self.persistent = persistent
    }
}
