/// Finds the cycles in a directed graph given as adjacency lists over `0..<n`
/// (Tarjan's strongly connected components, iterative so that long `requires`
/// chains cannot exhaust the stack).
enum CycleFinder {
    /// Each group of nodes that can reach one another, plus single nodes with an
    /// edge to themselves. Members are sorted; groups are in order of their first member.
    static func cycles(in edges: [[Int]]) -> [[Int]] {
        let count = edges.count
        var order = [Int](repeating: -1, count: count)
        var low = [Int](repeating: 0, count: count)
        var onStack = [Bool](repeating: false, count: count)
        var stack: [Int] = []
        var counter = 0
        var result: [[Int]] = []

        for start in 0..<count where order[start] == -1 {
            var frames: [(node: Int, nextEdge: Int)] = []
            func visit(_ node: Int) {
                order[node] = counter
                low[node] = counter
                counter += 1
                stack.append(node)
                onStack[node] = true
                frames.append((node, 0))
            }
            visit(start)
            while let frame = frames.last {
                let node = frame.node
                if frame.nextEdge < edges[node].count {
                    frames[frames.count - 1].nextEdge += 1
                    let next = edges[node][frame.nextEdge]
                    guard next >= 0, next < count else { continue }
                    if order[next] == -1 {
                        visit(next)
                    } else if onStack[next] {
                        low[node] = min(low[node], order[next])
                    }
                    continue
                }
                frames.removeLast()
                if let parent = frames.last {
                    low[parent.node] = min(low[parent.node], low[node])
                }
                guard low[node] == order[node] else { continue }
                var component: [Int] = []
                while let member = stack.popLast() {
                    onStack[member] = false
                    component.append(member)
                    if member == node { break }
                }
                if component.count > 1 || edges[node].contains(node) {
                    result.append(component.sorted())
                }
            }
        }
        return result.sorted { ($0.first ?? 0) < ($1.first ?? 0) }
    }
}
