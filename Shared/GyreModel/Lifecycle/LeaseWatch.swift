/// When a scheduler may declare leases expired: only after it has watched the
/// heartbeat queue, connected, for a whole lease period. Right after a
/// scheduler starts (or its broker connection comes back), heartbeats that
/// queued up while it was away are still unread, so an agent's last recorded
/// heartbeat says nothing about whether it is alive.
public struct LeaseWatch: Sendable, Equatable {
    public let leasePeriod: Duration
    /// Since when the heartbeat consumer has been connected without a break.
    public private(set) var watchingSince: ContinuousClock.Instant?

    public init(leasePeriod: Duration) {
        self.leasePeriod = leasePeriod
    }

    /// Records whether the heartbeat consumer is connected at `now`.
    public mutating func observe(connected: Bool, at now: ContinuousClock.Instant) {
        if !connected {
            watchingSince = nil
        } else if watchingSince == nil {
            watchingSince = now
        }
    }

    /// True once silence longer than the lease period can be trusted.
    public func mayExpireLeases(at now: ContinuousClock.Instant) -> Bool {
        guard let since = watchingSince else { return false }
        return now - since >= leasePeriod
    }
}
