import GyreAMQP

/// Deliveries waiting to be stored, taken in batches: whatever arrived while
/// the previous batch was being written goes into the next one.
actor DeliveryBuffer {
    private var items: [AMQPDelivery] = []
    private var waiter: CheckedContinuation<Void, Never>?
    private var finished = false

    func append(_ delivery: AMQPDelivery) {
        items.append(delivery)
        wake()
    }

    /// No more deliveries will come: `take` returns what is left, then nil.
    func finish() {
        finished = true
        wake()
    }

    /// Waits until a delivery is there (true) or none will come (false).
    func wait() async -> Bool {
        while items.isEmpty {
            if finished { return false }
            await withCheckedContinuation { waiter = $0 }
        }
        return true
    }

    var count: Int { items.count }

    /// Up to `max` deliveries, waiting for the first; nil once finished and empty.
    func take(max: Int) async -> [AMQPDelivery]? {
        guard await wait() else { return nil }
        let count = Swift.min(max, items.count)
        let batch = Array(items.prefix(count))
        items.removeFirst(count)
        return batch
    }

    private func wake() {
        waiter?.resume()
        waiter = nil
    }
}
