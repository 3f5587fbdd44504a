import Foundation
import GyreModel

/// What a GitHub webhook delivery asks of Gyre, decided from the event name
/// and the payload alone (no I/O), so that the mapping is tested on its own.
enum GitHubWebhook {
    struct Trigger: Equatable {
        var branch: String?
        var tag: String?
        var revision: String?
    }

    enum Decision: Equatable {
        case pong
        case ignore(String)
        case trigger(Trigger)
    }

    struct DecodeError: Error, Equatable {
        var message: String
    }

    /// The fields Gyre reads; everything else in the payload is ignored.
    struct Payload: Decodable {
        struct Repository: Decodable {
            var full_name: String?
        }

        struct PullRequest: Decodable {
            struct Head: Decodable {
                var ref: String?
                var sha: String?
            }

            var head: Head?
        }

        var repository: Repository?
        var ref: String?
        var after: String?
        var deleted: Bool?
        var action: String?
        var pull_request: PullRequest?
    }

    static func payload(_ body: Data) throws(DecodeError) -> Payload {
        do {
            return try JSONDecoder().decode(Payload.self, from: body)
        } catch {
            throw DecodeError(message: "the webhook body is not a JSON GitHub payload; set the webhook's content type to application/json")
        }
    }

    /// `repository.full_name` (`org/repo`) as a Gyre slug `gh/org/repo`.
    static func project(_ payload: Payload) throws(DecodeError) -> ProjectSlug {
        guard let fullName = payload.repository?.full_name else {
            throw DecodeError(message: "the payload has no repository.full_name, so the project is unknown")
        }
        let parts = fullName.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let slug = ProjectSlug(vcs: "gh", org: parts[0], repo: parts[1]) else {
            throw DecodeError(message: "repository.full_name \"\(fullName)\" is not org/repo")
        }
        return slug
    }

    static let pullRequestActions: Set<String> = ["opened", "synchronize", "reopened"]

    static func decide(event: String, payload: Payload) -> Decision {
        switch event {
        case "ping":
            return .pong
        case "push":
            if payload.deleted == true { return .ignore("the push deleted \(payload.ref ?? "a ref"); nothing to build") }
            guard let ref = payload.ref else { return .ignore("the push names no ref") }
            let revision = payload.after.flatMap { isRevision($0) ? $0 : nil }
            if ref.hasPrefix("refs/heads/") {
                return .trigger(Trigger(branch: String(ref.dropFirst("refs/heads/".count)), tag: nil, revision: revision))
            }
            if ref.hasPrefix("refs/tags/") {
                return .trigger(Trigger(branch: nil, tag: String(ref.dropFirst("refs/tags/".count)), revision: revision))
            }
            return .ignore("pushes to \(ref) are not built (only branches and tags)")
        case "pull_request":
            let action = payload.action ?? ""
            guard pullRequestActions.contains(action) else {
                return .ignore("pull_request action \"\(action)\" does not start a pipeline (opened, synchronize and reopened do)")
            }
            guard let ref = payload.pull_request?.head?.ref else { return .ignore("the pull request names no head ref") }
            let revision = payload.pull_request?.head?.sha.flatMap { isRevision($0) ? $0 : nil }
            return .trigger(Trigger(branch: ref, tag: nil, revision: revision))
        default:
            return .ignore("event \"\(event)\" does not start a pipeline (push and pull_request do)")
        }
    }

    /// A full hex commit id other than the all-zero one GitHub sends for deleted refs.
    static func isRevision(_ text: String) -> Bool {
        (text.count == 40 || text.count == 64) && text.allSatisfy(\.isHexDigit) && text.contains { $0 != "0" }
    }
}
