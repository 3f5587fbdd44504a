import Foundation
import GyreProcess

/// Runs helper programs (tar, cat, sh) where a job's steps run, as the job's
/// user, with stdin and stdout redirected to files on the agent's host. The
/// built-in steps (caches, workspaces, artifacts, SSH keys) move files in and
/// out of the job this way, whatever the executor.
protocol JobShell: Sendable {
    /// What `~` means in the job's paths.
    var homeDirectory: String { get }
    /// The job's working directory as the steps see it.
    var workingDirectory: String { get }
    /// What cache archives are relative to: `/` in a container (its paths are the
    /// same in every job); the job's home on a host runner, whose home differs per
    /// job and whose `/` is the agent's own.
    var cacheRoot: String { get }
    /// Runs `argv` (no shell) in the job's working directory. stdin comes from the
    /// host file `input` (else nothing); stdout goes to the host file `stdout`
    /// (else to `output`, with stderr). Returns the exit code.
    func execute(_ argv: [String], input: String?, stdout: String?,
                 output: @escaping @Sendable ([UInt8]) -> Void) async throws -> Int32
}

extension JobShell {
    /// A path of the config (`~/x`, `x` relative to the working directory, `/x`) as an absolute path in the job.
    func resolve(_ path: String) -> String {
        if path == "~" { return homeDirectory }
        if path.hasPrefix("~/") { return homeDirectory + path.dropFirst() }
        if path.hasPrefix("/") { return path }
        if path == "." || path.isEmpty { return workingDirectory }
        let relative = path.hasPrefix("./") ? String(path.dropFirst(2)) : path
        return workingDirectory.hasSuffix("/") ? workingDirectory + relative : "\(workingDirectory)/\(relative)"
    }
}

/// Builds the argv that redirects a program's stdin/stdout to files through `/bin/sh`,
/// so the plain `ProcessRunner` (one output pipe) can be used.
enum Redirect {
    static func argv(_ argv: [String], input: String?, stdout: String?) -> [String] {
        guard input != nil || stdout != nil else { return argv }
        var script = "in=$1; out=$2; shift 2; "
        script += stdout == nil ? #"exec "$@" <"$in""# : #"exec "$@" <"$in" >"$out""#
        return ["/bin/sh", "-c", script, "gyre-redirect", input ?? "/dev/null", stdout ?? "/dev/null"] + argv
    }
}
