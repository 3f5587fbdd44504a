/// CircleCI's Docker resource classes and the limits they give the primary container.
struct ResourceClass: Sendable, Equatable {
    let name: String
    let cpus: Int
    let memoryGB: Int

    static let all: [ResourceClass] = [
        ResourceClass(name: "small", cpus: 1, memoryGB: 2),
        ResourceClass(name: "medium", cpus: 2, memoryGB: 4),
        ResourceClass(name: "medium+", cpus: 3, memoryGB: 6),
        ResourceClass(name: "large", cpus: 4, memoryGB: 8),
        ResourceClass(name: "xlarge", cpus: 8, memoryGB: 16),
        ResourceClass(name: "2xlarge", cpus: 16, memoryGB: 32),
        ResourceClass(name: "2xlarge+", cpus: 20, memoryGB: 40),
        ResourceClass(name: "arm.medium", cpus: 2, memoryGB: 8),
        ResourceClass(name: "arm.large", cpus: 4, memoryGB: 16),
        ResourceClass(name: "arm.xlarge", cpus: 8, memoryGB: 32),
        ResourceClass(name: "arm.2xlarge", cpus: 16, memoryGB: 64),
        ResourceClass(name: "gpu.nvidia.small", cpus: 4, memoryGB: 15),
        ResourceClass(name: "gpu.nvidia.medium", cpus: 8, memoryGB: 30),
        ResourceClass(name: "gpu.nvidia.large", cpus: 16, memoryGB: 60),
    ]

    static func named(_ name: String) throws(WorkspaceError) -> ResourceClass {
        // `<size>.gen2`: the same size on newer hardware.
        let size = name.hasSuffix(".gen2") ? String(name.dropLast(".gen2".count)) : name
        // A container runner's own class (`namespace/name`): the builder's operator sizes it; medium's limits.
        if size.contains("/") { return ResourceClass(name: name, cpus: 2, memoryGB: 4) }
        guard let found = all.first(where: { $0.name == size }) else {
            throw WorkspaceError(message: "resource_class \"\(name)\" is not a Docker resource class; use one of "
                                 + all.map(\.name).joined(separator: ", "))
        }
        return found
    }

    var memoryBytes: Int64 { Int64(memoryGB) << 30 }

    /// The CPUs the container gets on a host with `hostCPUs` (docker refuses more than the host has).
    func cpus(onHostWith hostCPUs: Int) -> Int { max(1, min(cpus, hostCPUs)) }
}
