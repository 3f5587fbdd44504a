/// A message received by an ``AMQPConsumer``. Acknowledge it with ``AMQPConsumer/ack(_:)``
/// or ``AMQPConsumer/reject(_:requeue:)``.
public struct AMQPDelivery: Sendable {
    /// The queue it was consumed from.
    public let queue: String
    /// Message body.
    public let body: [UInt8]
    /// The `message-id` property, if set.
    public let messageId: String?
    /// The `type` property, if set.
    public let type: String?
    /// Whether the broker delivered it before (to this or another consumer) without an ack.
    public let redelivered: Bool
    /// The broker's delivery tag (per connection generation).
    public let deliveryTag: UInt64
    /// Connection generation: acks for an older generation are dropped (the broker redelivers those).
    public let generation: UInt64

    /// Creates a delivery (normally only the consumer does this).
    public init(queue: String, body: [UInt8], messageId: String?, type: String?, redelivered: Bool,
                deliveryTag: UInt64, generation: UInt64) {
        self.queue = queue
        self.body = body
        self.messageId = messageId
        self.type = type
        self.redelivered = redelivered
        self.deliveryTag = deliveryTag
        self.generation = generation
    }
}
