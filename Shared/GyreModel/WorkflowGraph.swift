/// The state of one workflow's jobs, and what follows from a change.
///
/// A pure value: the dispatcher loads the jobs' current statuses, asks the
/// graph what to do, and stores the result in one transaction.
public struct WorkflowGraph: Sendable, Equatable {
    public struct Node: Sendable, Equatable {
        public var name: String
        public var requires: [String]
        public var status: JobStatus
        /// `type: approval`: goes `on_hold` (not `queued`) when its requirements are met.
        public var approval: Bool
        /// `type: no-op`: succeeds (is never queued) when its requirements are met.
        public var noOp: Bool
        /// The statuses a requirement may end with, by name (`- build: failed`);
        /// a requirement not listed must end `success`.
        public var requiredStatuses: [String: [JobStatus]]

        public init(name: String, requires: [String], status: JobStatus, approval: Bool = false, noOp: Bool = false,
                    requiredStatuses: [String: [JobStatus]] = [:]) {
            self.name = name
            self.requires = requires
            self.status = status
            self.approval = approval
            self.noOp = noOp
            self.requiredStatuses = requiredStatuses
        }

        /// True once `requirement` has ended with a status this job accepts.
        func accepts(_ requirement: Node) -> Bool {
            requirement.status.isFinal && (requiredStatuses[requirement.name] ?? [.success]).contains(requirement.status)
        }
    }

    public private(set) var nodes: [Node]

    public init(nodes: [Node]) {
        self.nodes = nodes
    }

    /// What changed when the graph was advanced.
    public struct Advance: Sendable, Equatable {
        /// Jobs whose requirements all ended as accepted (by default: succeeded): now `queued`.
        public var ready: [String] = []
        /// Jobs that will never run because a requirement ended otherwise: now `not_run`.
        public var skipped: [String] = []
        /// Approval jobs whose requirements all ended as accepted: now `on_hold`.
        public var held: [String] = []
        /// No-op jobs whose requirements all ended as accepted: now `success`.
        public var passed: [String] = []

        public init(ready: [String] = [], skipped: [String] = [], held: [String] = [], passed: [String] = []) {
            self.ready = ready
            self.skipped = skipped
            self.held = held
            self.passed = passed
        }
    }

    /// Moves blocked jobs forward until nothing changes: a blocked job whose
    /// requirements all ended with a status it accepts (`success`, unless
    /// `requires` named others, e.g. `- build: failed`) becomes queued (an
    /// approval job: on_hold); one with a requirement that ended otherwise
    /// becomes not_run (and so, in turn, do its dependents).
    public mutating func advance() -> Advance {
        var result = Advance()
        var changed = true
        while changed {
            changed = false
            for index in nodes.indices where nodes[index].status == .blocked {
                let requirements = nodes[index].requires.compactMap { name in nodes.first { $0.name == name } }
                let node = nodes[index]
                if requirements.contains(where: { $0.status.isFinal && !node.accepts($0) }) {
                    nodes[index].status = .notRun
                    result.skipped.append(nodes[index].name)
                    changed = true
                } else if requirements.allSatisfy(node.accepts) {
                    if nodes[index].approval {
                        nodes[index].status = .onHold
                        result.held.append(nodes[index].name)
                    } else if nodes[index].noOp {
                        nodes[index].status = .success
                        result.passed.append(nodes[index].name)
                    } else {
                        nodes[index].status = .queued
                        result.ready.append(nodes[index].name)
                    }
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

    /// The workflow status that the jobs' statuses add up to: `canceled` once
    /// everything is final and something was canceled; `failed`/`success` once
    /// everything is final; `failing` while a job failed and others go on;
    /// `on_hold` while an approval waits and nothing runs; else `running`.
    public var status: WorkflowStatus {
        let statuses = nodes.map(\.status)
        let anyBad = statuses.contains { $0.isFailure }
        let allFinal = statuses.allSatisfy(\.isFinal)
        if statuses.contains(.canceled) && allFinal { return .canceled }
        if allFinal { return anyBad ? .failed : (statuses.allSatisfy { $0 == .success } ? .success : .failed) }
        if anyBad { return .failing }
        let active: Set<JobStatus> = [.running, .queued, .notRunning]
        if statuses.contains(.onHold) && !statuses.contains(where: { active.contains($0) }) { return .onHold }
        return .running
    }

    /// The names of the jobs downstream of `names` (transitively through
    /// `requires`), not including `names` themselves.
    public func dependents(of names: Set<String>) -> Set<String> {
        var found = Set<String>()
        var frontier = names
        while !frontier.isEmpty {
            let next = Set(nodes.filter { node in node.requires.contains(where: frontier.contains) }.map(\.name))
                .subtracting(found).subtracting(names)
            found.formUnion(next)
            frontier = next
        }
        return found
    }
}
