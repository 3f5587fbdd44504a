/// The state of one workflow's jobs, and what follows from a change.
///
/// A pure value: the dispatcher loads the jobs' current statuses, asks the
/// graph what to do, and stores the result in one transaction.
public struct WorkflowGraph: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        public var name: String
        public var requires: [String]
        public var status: JobStatus

        public init(name: String, requires: [String], status: JobStatus) {
            self.name = name
            self.requires = requires
            self.status = status
        }
    }

    public private(set) var nodes: [Node]

    public init(nodes: [Node]) {
        self.nodes = nodes
    }

    /// What changed when the graph was advanced.
    public struct Advance: Sendable, Equatable {
        /// Jobs whose requirements all succeeded: now `queued`.
        public var ready: [String] = []
        /// Jobs that will never run because a requirement did not succeed: now `not_run`.
        public var skipped: [String] = []

        public init(ready: [String] = [], skipped: [String] = []) {
            self.ready = ready
            self.skipped = skipped
        }
    }

    /// Moves blocked jobs forward until nothing changes: a blocked job whose
    /// requirements all succeeded becomes queued; one with a requirement that
    /// finished otherwise becomes not_run (and so, in turn, do its dependents).
    public mutating func advance() -> Advance {
        var result = Advance()
        var changed = true
        while changed {
            changed = false
            for index in nodes.indices where nodes[index].status == .blocked {
                let requirements = nodes[index].requires.compactMap { name in nodes.first { $0.name == name } }
                if requirements.contains(where: { $0.status.isFinal && $0.status != .success }) {
                    nodes[index].status = .notRun
                    result.skipped.append(nodes[index].name)
                    changed = true
                } else if requirements.allSatisfy({ $0.status == .success }) {
                    nodes[index].status = .queued
                    result.ready.append(nodes[index].name)
                    changed = true
                }
            }
        }
        return result
    }

    /// Records a job's new status (e.g. from a job-finished event).
    public mutating func set(_ name: String, to status: JobStatus) {
        if let index = nodes.firstIndex(where: { $0.name == name }) {
            nodes[index].status = status
        }
    }

    /// The workflow status that the jobs' statuses add up to.
    public var status: WorkflowStatus {
        let statuses = nodes.map(\.status)
        let anyBad = statuses.contains { [.failed, .infrastructureFail, .timedout].contains($0) }
        let allFinal = statuses.allSatisfy(\.isFinal)
        if statuses.contains(.canceled) && allFinal { return .canceled }
        if allFinal { return anyBad ? .failed : (statuses.allSatisfy { $0 == .success } ? .success : .failed) }
        if anyBad { return .failing }
        if statuses.contains(.onHold) && !statuses.contains(where: { $0 == .running || $0 == .queued }) { return .onHold }
        return .running
    }
}
