/// A queue to declare.
public struct AMQPQueue: Sendable, Hashable {
    /// Queue name (must not be empty: server-named queues are not supported).
    public var name: String
    /// Whether the queue survives a broker restart.
    public var durable: Bool
    /// Whether the queue belongs to the declaring connection only (deleted when it closes).
    public var exclusive: Bool
    /// Whether the queue is deleted when its last consumer goes away.
    public var autoDelete: Bool
    /// Per-queue message TTL (`x-message-ttl`), if any.
    public var messageTTLMilliseconds: Int?

    /// Creates a queue description.
    public init(name: String, durable: Bool = true, exclusive: Bool = false, autoDelete: Bool = false,
                messageTTLMilliseconds: Int? = nil) {
        self.name = name
        self.durable = durable
        self.exclusive = exclusive
        self.autoDelete = autoDelete
        self.messageTTLMilliseconds = messageTTLMilliseconds
    }
}
