import Foundation

/// A project slug such as `gh/acme/app`: VCS, organisation, repository.
public struct ProjectSlug: Sendable, Hashable, Codable, CustomStringConvertible {
    public var vcs: String
    public var org: String
    public var repo: String

    /// Accepts `gh`/`github` and `bb`/`bitbucket`; stores the short form.
    public init?(vcs: String, org: String, repo: String) {
        let short: String
        switch vcs.lowercased() {
        case "gh", "github": short = "gh"
        case "bb", "bitbucket": short = "bb"
        default: return nil
        }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
        for part in [org, repo] where part.isEmpty || part.rangeOfCharacter(from: allowed.inverted) != nil || part.hasPrefix(".") {
            return nil
        }
        self.vcs = short
        self.org = org
        self.repo = repo
    }

    public init?(_ slug: String) {
        let parts = slug.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3 else { return nil }
        self.init(vcs: parts[0], org: parts[1], repo: parts[2])
    }

    public var description: String { "\(vcs)/\(org)/\(repo)" }

    /// The organisation's slug, `vcs/org` (as `org-slug` in API v2).
    public var organization: String { "\(vcs)/\(org)" }

    /// The long VCS name used in API fields (`github`, `bitbucket`).
    public var providerName: String { vcs == "gh" ? "GitHub" : "Bitbucket" }
}
