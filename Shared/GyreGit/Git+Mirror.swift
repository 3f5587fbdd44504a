import Foundation

extension Git {
    /// A bare mirror of `url` under `cacheDirectory`, created or fetched.
    /// Several processes may share the cache: a lock file serialises them.
    public func updateMirror(url: String, cacheDirectory: String) async throws -> String {
        let name = url.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? String($0) : "_" }.joined()
        let mirror = "\(cacheDirectory)/\(name.suffix(120)).git"
        try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        return try await withFileLock("\(mirror).lock") {
            if FileManager.default.fileExists(atPath: "\(mirror)/HEAD") {
                try await git(["--git-dir", mirror, "fetch", "--quiet", "--prune", "--force", "origin",
                               "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"])
            } else {
                let temporary = "\(mirror).tmp-\(UUID().uuidString)"
                try await git(["clone", "--quiet", "--mirror", url, temporary])
                try FileManager.default.moveItem(atPath: temporary, toPath: mirror)
            }
            return mirror
        }
    }

    /// The commit a branch or tag names in a mirror.
    public func resolve(mirror: String, branch: String?, tag: String?) async throws -> String {
        let ref = tag.map { "refs/tags/\($0)^{commit}" } ?? "refs/heads/\(branch ?? "main")^{commit}"
        do {
            return try await git(["--git-dir", mirror, "rev-parse", "--verify", "--quiet", ref])
                .text.trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            let what = tag.map { "tag \"\($0)\"" } ?? "branch \"\(branch ?? "main")\""
            throw GitError(.unknownRevision, "the repository has no \(what)")
        }
    }

    /// A file's content at a revision, or nil when the file does not exist there.
    public func show(mirror: String, revision: String, path: String) async throws -> String? {
        do {
            return try await git(["--git-dir", mirror, "show", "\(revision):\(path)"]).text
        } catch {
            return nil
        }
    }

    /// Clones `url` into `directory` and checks out `revision` (the build agent's
    /// `checkout` step), streaming git's output.
    public func checkout(url: String, revision: String, branch: String?, into directory: String,
                         onOutput: @escaping @Sendable ([UInt8]) -> Void) async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let contents = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        if contents.isEmpty {
            try await git(["clone", "--no-checkout", url, directory], onOutput: onOutput)
        } else {
            if !FileManager.default.fileExists(atPath: "\(directory)/.git") {
                try await git(["init", "--quiet"], in: directory)
                try await git(["remote", "add", "origin", url], in: directory)
            }
            try await git(["fetch", "--force", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"],
                          in: directory, onOutput: onOutput)
        }
        if let branch {
            try await git(["checkout", "--force", "-B", branch, revision], in: directory, onOutput: onOutput)
        } else {
            try await git(["checkout", "--force", revision], in: directory, onOutput: onOutput)
        }
    }

    func withFileLock<T>(_ path: String, _ body: () async throws -> T) async throws -> T {
        let fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { return try await body() }
        defer { close(fd) }
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        defer { flock(fd, LOCK_UN) }
        return try await body()
    }
}
