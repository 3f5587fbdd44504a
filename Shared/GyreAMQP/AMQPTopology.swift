/// Exchanges, queues and bindings a connection declares (idempotently) every time it connects.
///
/// Declarations must match what already exists on the broker (same type, durability,
/// arguments), otherwise the broker closes the channel and the operation fails with
/// ``AMQPError/Code-swift.enum/channelError``.
public struct AMQPTopology: Sendable {
    /// Exchanges, declared first.
    public var exchanges: [AMQPExchange]
    /// Queues, declared second.
    public var queues: [AMQPQueue]
    /// Bindings, declared last.
    public var bindings: [AMQPBinding]

    /// Creates a topology.
    public init(exchanges: [AMQPExchange] = [], queues: [AMQPQueue] = [], bindings: [AMQPBinding] = []) {
        self.exchanges = exchanges
        self.queues = queues
        self.bindings = bindings
    }

    /// No declarations.
    public static let empty = AMQPTopology()
}
