import Foundation
import GyreModel

extension StepContext {
    /// Renders a cache key template with the job's facts; `{{ checksum "f" }}`
    /// hashes the file as the job sees it (relative to the working directory).
    func renderKey(_ template: String) async throws -> String {
        var variables: [String: String] = [:]
        for variable in environment { variables[variable.name] = variable.value }
        let context = CacheKeyTemplate.Context(
            branch: job.branch ?? "", buildNumber: job.number, revision: job.revision, environment: variables,
            epoch: Int(Date().timeIntervalSince1970), arch: arch)
        return try await CacheKeyTemplate(template).render(context) { file in try await checksum(of: file) }
    }

    /// Base64 of the SHA-256 of a file in the job.
    func checksum(of file: String) async throws -> String {
        let path = shell.resolve(file)
        let copy = scratchFile("checksum-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: copy) }
        let code = try await shell.execute(["cat", "--", path], input: nil, stdout: copy, output: handle.output)
        guard code == 0 else {
            throw StepFailure("cannot compute {{ checksum \"\(file)\" }}: \(path) cannot be read in the job; check the file exists at this point of the job")
        }
        guard let reader = FileHandle(forReadingAtPath: copy) else { throw StepFailure("cannot read the copy of \(path)") }
        defer { try? reader.close() }
        var hasher = SHA256()
        while let chunk = try reader.read(upToCount: 1 << 20), !chunk.isEmpty {
            hasher.update(chunk)
        }
        return Data(hasher.finalize()).base64EncodedString()
    }

    /// The `{{ arch }}` value of this agent.
    static var agentArch: String {
        #if arch(arm64)
        return "arch1-linux-arm64"
        #else
        return "arch1-linux-amd64"
        #endif
    }
}
