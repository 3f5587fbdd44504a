/// The services of a Gyre installation and their documented default ports.
public enum ServiceCatalog {
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var port: Int
    }

    /// In start order: the ready-agent last, since it watches the others.
    public static let all: [Entry] = [
        Entry(name: "frontend", port: 80),
        Entry(name: "dispatcher", port: 9999),
        Entry(name: "picard-scheduler", port: 4646),
        Entry(name: "output-processor", port: 8585),
        Entry(name: "contexts", port: 3011),
        Entry(name: "audit-log", port: 3012),
        Entry(name: "permissions", port: 3013),
        Entry(name: "domain", port: 3014),
        Entry(name: "vm-service", port: 3001),
        Entry(name: "build-agent", port: 3002),
        Entry(name: "ready-agent", port: 8800),
    ]
}
