/// The operator's routing of resource classes to self-hosted runner classes
/// (`GYRE_RESOURCE_CLASS_MAP`): `macos.m4pro.medium=acme/mac-mini,windows.medium=acme/win`.
/// A machine, macOS or Windows job whose class is mapped is placed on an
/// agent offering the runner class; its plan keeps the class it asked for,
/// so the job can say where it runs. Unmapped classes wait for an agent that
/// offers them (and fail after GYRE_NO_AGENT_TIMEOUT_SECONDS).
public struct ResourceClassMap: Sendable, Equatable {
    public private(set) var routes: [String: String] = [:]

    public init(routes: [String: String] = [:]) {
        self.routes = routes
    }

    /// Reads `from=to,from=to`; each `to` must be a runner class `namespace/name`.
    public init(parsing text: String) throws(ResourceClassMapError) {
        for entry in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty else {
                throw ResourceClassMapError(message: "\"\(entry)\" is not of the form resource-class=namespace/name")
            }
            let target = parts[1].split(separator: "/", omittingEmptySubsequences: false)
            guard target.count == 2, target.allSatisfy({ !$0.isEmpty }) else {
                throw ResourceClassMapError(message: "\"\(parts[1])\" (for \(parts[0])) is not a runner class namespace/name")
            }
            guard routes[parts[0]] == nil else {
                throw ResourceClassMapError(message: "\(parts[0]) is mapped twice")
            }
            routes[parts[0]] = parts[1]
        }
    }

    /// `plan` with every mapped machine class routed to its runner class.
    public func apply(to plan: PipelinePlan) -> PipelinePlan {
        guard !routes.isEmpty else { return plan }
        var plan = plan
        for w in plan.workflows.indices {
            for j in plan.workflows[w].jobs.indices {
                guard case .machine(let resourceClass)? = plan.workflows[w].jobs[j].job?.executor,
                      let runner = routes[resourceClass] else { continue }
                plan.workflows[w].jobs[j].job?.executor = .machine(resourceClass: runner)
            }
        }
        return plan
    }
}

public struct ResourceClassMapError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public var description: String { "GYRE_RESOURCE_CLASS_MAP: \(message)" }
}
