/// `circleci tests split`: which of the test names node `index` of `total` runs.
/// Every node computes the same assignment from the same input, so each name
/// runs on exactly one node.
public struct TestSplitter: Sendable {
    public enum Strategy: Sendable, Equatable {
        /// Round-robin over the names sorted alphabetically.
        case name
        /// Greedy bin-packing by file size (largest first onto the lightest node).
        case filesize
        /// Greedy bin-packing by recorded time; names without a time get the average.
        case timings([String: Double])
    }

    public var strategy: Strategy
    public var total: Int
    public var index: Int

    public init(strategy: Strategy, total: Int, index: Int) {
        self.strategy = strategy
        self.total = max(1, total)
        self.index = index
    }

    /// The names (deduplicated, in input order) this node runs.
    public func split(_ names: [String], size: (String) -> Int64? = FileSystem.size) -> [String] {
        var seen = Set<String>()
        let unique = names.filter { seen.insert($0).inserted }
        let nodes = assign(unique, size: size)
        return unique.filter { nodes[$0] == index }
    }

    /// The node of every name.
    public func assign(_ names: [String], size: (String) -> Int64? = FileSystem.size) -> [String: Int] {
        switch strategy {
        case .name:
            var nodes: [String: Int] = [:]
            for (position, name) in names.sorted().enumerated() { nodes[name] = position % total }
            return nodes
        case .filesize:
            return pack(names.map { ($0, Double(size($0) ?? 0)) })
        case .timings(let timings):
            let known = names.compactMap { timings[Self.normalized($0)] ?? timings[$0] }
            let average = known.isEmpty ? 1 : known.reduce(0, +) / Double(known.count)
            return pack(names.map { ($0, timings[Self.normalized($0)] ?? timings[$0] ?? average) })
        }
    }

    /// Heaviest first (ties by name) onto the node with the least weight so far (ties: lowest index).
    func pack(_ weighted: [(String, Double)]) -> [String: Int] {
        let ordered = weighted.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
        var loads = [Double](repeating: 0, count: total)
        var nodes: [String: Int] = [:]
        for (name, weight) in ordered {
            var lightest = 0
            for node in 1..<max(1, total) where loads[node] < loads[lightest] { lightest = node }
            loads[lightest] += weight
            nodes[name] = lightest
        }
        return nodes
    }

    /// `./a/b` and `a/b` name the same file.
    static func normalized(_ name: String) -> String {
        var text = Substring(name)
        while text.hasPrefix("./") { text = text.dropFirst(2) }
        return String(text)
    }
}
