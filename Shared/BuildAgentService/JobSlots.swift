/// At most `capacity` jobs run at once. The agent's queue also carries
/// cancels, which must get through while every slot is busy, so the consumer
/// takes more deliveries than that and jobs wait here for a slot.
actor JobSlots {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(capacity: Int) {
        free = max(1, capacity)
    }

    func acquire() async {
        if free > 0 {
            free -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    func release() {
        if waiters.isEmpty {
            free += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
