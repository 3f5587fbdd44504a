import Foundation
import GyreModel
import GyreProcess
import GyreProtocol

/// What a built-in step (cache, workspace, artifacts, test results, SSH keys)
/// works with: the job, where it runs, the storage API, and a scratch
/// directory on the agent's host for the files it moves.
struct StepContext: Sendable {
    let job: AgentJob
    let shell: any JobShell
    let storage: StorageClient
    /// The job's environment as its `run` steps see it.
    let environment: [EnvVar]
    /// A directory of this step's own on the agent host (removed afterwards).
    let scratch: String
    let handle: StepHandle
    /// `arch1-linux-amd64` style, for `{{ arch }}`.
    let arch: String
    /// The step's position in `job.plan.steps` (0-based).
    var position: Int = 0

    /// `vcs/org/repo`, as the storage API's project paths want it.
    var project: String { job.projectSlug }
    /// Artifacts, test results and workspace layers belong to the job, not to one of its parallel runs.
    var ownerJob: UUID { job.parentJobId }

    func say(_ line: String) {
        handle.output(Array((line + "\n").utf8))
    }

    func scratchFile(_ name: String) -> String { "\(scratch)/\(name)" }

    /// Runs a helper program in the job and returns its stdout (stderr goes to the step's output).
    func capture(_ argv: [String]) async throws -> (code: Int32, stdout: Data) {
        let file = scratchFile("capture-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let code = try await shell.execute(argv, input: nil, stdout: file, output: handle.output)
        return (code, (try? Data(contentsOf: URL(fileURLWithPath: file))) ?? Data())
    }

    /// Which of the absolute `paths` exist in the job.
    func existing(_ paths: [String]) async throws -> [String] {
        let script = #"for p; do if [ -e "$p" ] || [ -L "$p" ]; then printf '%s\n' "$p"; fi; done"#
        let (code, stdout) = try await capture(["/bin/sh", "-c", script, "gyre-exists"] + paths)
        guard code == 0 else { throw StepFailure("cannot look for \(paths.joined(separator: ", ")) in the job (exit \(code))") }
        let found = Set(String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init))
        return paths.filter { found.contains($0) }
    }

    /// `file` (d = directory, f = anything else, nil = missing) for an absolute path in the job.
    func kind(of path: String) async throws -> Character? {
        let script = #"if [ -d "$1" ]; then echo d; elif [ -e "$1" ]; then echo f; else echo -; fi"#
        let (code, stdout) = try await capture(["/bin/sh", "-c", script, "gyre-kind", path])
        guard code == 0 else { throw StepFailure("cannot look at \(path) in the job (exit \(code))") }
        let answer = String(decoding: stdout, as: UTF8.self).first
        return answer == "-" ? nil : answer
    }

    /// Tars `paths` (relative to `base` in the job) into the host file `archive`;
    /// `dereference` stores what symbolic links point to (as the job sees it).
    func archive(_ paths: [String], base: String, to archive: String, gzip: Bool = true,
                 dereference: Bool = false) async throws {
        let flags = "-" + (dereference ? "h" : "") + (gzip ? "czf" : "cf")
        let code = try await shell.execute(["tar", flags, "-", "-C", base, "--"] + paths, input: nil,
                                           stdout: archive, output: handle.output)
        // GNU tar exits 1 when a file changed while it was read: the archive is still usable.
        guard code == 0 || code == 1 else { throw StepFailure("tar could not archive \(paths.joined(separator: " ")) (exit \(code))") }
    }

    /// Extracts the host file `archive` under `directory` in the job (created if missing).
    func extract(_ archive: String, into directory: String, gzip: Bool = true) async throws {
        let script = #"mkdir -p "$1" && exec tar "$2" - -C "$1""#
        let code = try await shell.execute(["/bin/sh", "-c", script, "gyre-extract", directory, gzip ? "-xzf" : "-xf"],
                                           input: archive, stdout: nil, output: handle.output)
        guard code == 0 else { throw StepFailure("tar could not extract into \(directory) (exit \(code))") }
    }

    /// Copies a file or directory of the job to `destination` on the agent host.
    /// Links are resolved in the job, so none of them can point the agent at its own files.
    func copyOut(_ path: String, kind: Character, to destination: String) async throws {
        let archive = scratchFile("out-\(UUID().uuidString).tar")
        defer { try? FileManager.default.removeItem(atPath: archive) }
        let base = kind == "d" ? path : Self.parent(of: path)
        let name = kind == "d" ? "." : Self.lastComponent(of: path)
        try await self.archive([name], base: base, to: archive, gzip: false, dereference: true)
        try FileManager.default.createDirectory(atPath: destination, withIntermediateDirectories: true)
        let result = try await ProcessRunner().run("tar", ["-xf", archive, "-C", destination, "--no-same-owner"])
        guard result.exitCode == 0 else { throw StepFailure("cannot unpack \(path) on the agent: \(result.text)") }
    }

    /// Regular files under a host directory (never symbolic links), as paths relative to it, sorted.
    static func files(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let type = (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(relative)"))?[.type]
                as? FileAttributeType
            if type == .typeRegular {
                files.append(relative.hasPrefix("./") ? String(relative.dropFirst(2)) : relative)
            }
        }
        return files.sorted()
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    static func lastComponent(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    static func size(_ file: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    static func human(_ bytes: Int64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        if bytes < 1024 * 1024 * 1024 { return String(format: "%.1f MiB", Double(bytes) / 1048576) }
        return String(format: "%.2f GiB", Double(bytes) / 1073741824)
    }
}

/// A built-in step failed; the message says why and goes to the step's output.
struct StepFailure: Error, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
