import Foundation

/// Which jobs' workspace layers a job attaches: every job it requires,
/// directly or through other jobs (by name, within its workflow).
public enum WorkspaceUpstream {
    /// A job of the workflow as the selection needs it (parallel runs left out).
    public struct Job: Sendable, Equatable {
        public var id: UUID
        public var name: String
        public var requires: [String]

        public init(id: UUID, name: String, requires: [String]) {
            self.id = id
            self.name = name
            self.requires = requires
        }
    }

    /// The ids of the jobs upstream of `target`, in the workflow's order.
    /// Unknown names in `requires` are ignored; cycles (which the config
    /// compiler rejects anyway) cannot loop.
    public static func upstream(of target: UUID, in jobs: [Job]) -> [UUID] {
        guard let start = jobs.first(where: { $0.id == target }) else { return [] }
        var byName: [String: Job] = [:]
        for job in jobs where byName[job.name] == nil { byName[job.name] = job }
        var seen = Set<String>()
        var pending = start.requires
        while let name = pending.popLast() {
            guard name != start.name, !seen.contains(name), let job = byName[name] else { continue }
            seen.insert(name)
            pending.append(contentsOf: job.requires)
        }
        return jobs.filter { seen.contains($0.name) && byName[$0.name]?.id == $0.id }.map(\.id)
    }
}
