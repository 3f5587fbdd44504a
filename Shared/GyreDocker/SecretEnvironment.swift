import Foundation

/// How variables reach a container without appearing on a command line
/// (where `ps` on the builder would show them): `--env NAME` without a value
/// makes the docker client copy NAME from its own environment, which only the
/// agent's user can read. Names the docker client or the loader obey
/// (`PATH`, `HOME`, `DOCKER_*`, `LD_*`, ...) go through an `--env-file`
/// instead, written owner-only and removed after the command.
struct SecretEnvironment {
    var arguments: [String] = []
    var clientEnvironment: [String: String]
    var file: String?

    /// Names that change how the docker client (a Go program) or the dynamic
    /// loader behave: a job must not set them for the client on the builder.
    static func readByClient(_ name: String) -> Bool {
        let upper = name.uppercased()
        return ["DOCKER_", "LD_", "SSL_", "XDG_", "BUILDKIT_"].contains { upper.hasPrefix($0) }
            || upper.hasSuffix("_PROXY")
            || ["PATH", "HOME", "TMPDIR", "USER", "GODEBUG", "GOGC", "GOMAXPROCS", "GOMEMLIMIT", "GOTRACEBACK"]
                .contains(upper)
    }

    init(_ variables: [(String, String)], scratchDirectory: String) throws(DockerError) {
        clientEnvironment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("GYRE_") }
        var names: [String] = []
        var values: [String: String] = [:]
        for (name, value) in variables {
            guard !name.isEmpty, !name.contains("="), !name.contains("\0"), !value.contains("\0") else {
                throw DockerError(.commandFailed, "environment variable \"\(name)\" has an invalid name or value")
            }
            if values[name] == nil { names.append(name) }
            values[name] = value
        }
        var fileLines: [String] = []
        for name in names {
            let value = values[name]!
            if Self.readByClient(name) {
                guard !value.contains("\n") && !value.contains("\r") else {
                    throw DockerError(.commandFailed, "environment variable \(name) cannot hold a line break")
                }
                fileLines.append("\(name)=\(value)\n")
            } else {
                clientEnvironment[name] = value
                arguments += ["--env", name]
            }
        }
        guard !fileLines.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: scratchDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw DockerError(.commandFailed, "cannot create \(scratchDirectory): \(error.localizedDescription)")
        }
        let path = "\(scratchDirectory)/env-\(UUID().uuidString.lowercased())"
        guard FileManager.default.createFile(atPath: path, contents: Data(fileLines.joined().utf8),
                                             attributes: [.posixPermissions: 0o600]) else {
            throw DockerError(.commandFailed, "cannot write \(path)")
        }
        file = path
        arguments += ["--env-file", path]
    }

    func remove() {
        if let file { try? FileManager.default.removeItem(atPath: file) }
    }
}
