/// Pinned revisions (a webhook names the commit to build).
extension Git {
    /// The full commit id of `revision` in the mirror, or an error saying it is not there.
    public func resolve(mirror: String, revision: String) async throws -> String {
        guard revision.range(of: "^[0-9a-fA-F]{4,64}$", options: .regularExpression) != nil else {
            throw GitError(.unknownRevision, "\"\(revision)\" is not a commit id")
        }
        do {
            return try await git(["--git-dir", mirror, "rev-parse", "--verify", "--quiet", "\(revision)^{commit}"])
                .text.trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            throw GitError(.unknownRevision, "the repository has no commit \(revision)")
        }
    }
}
