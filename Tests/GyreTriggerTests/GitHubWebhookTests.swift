import Foundation
import GyreModel
import Testing
@testable import FrontendService

@Suite struct GitHubWebhookTests {
    let sha = "0123456789abcdef0123456789abcdef01234567"

    func decide(_ event: String, _ json: String) throws -> GitHubWebhook.Decision {
        GitHubWebhook.decide(event: event, payload: try GitHubWebhook.payload(Data(json.utf8)))
    }

    @Test func pushToABranchBuildsThatBranchAtTheNewRevision() throws {
        let decision = try decide("push", #"{"ref":"refs/heads/feature/x","after":"\#(sha)","repository":{"full_name":"acme/app"}}"#)
        #expect(decision == .trigger(.init(branch: "feature/x", tag: nil, revision: sha)))
    }

    @Test func pushOfATagBuildsTheTag() throws {
        let decision = try decide("push", #"{"ref":"refs/tags/v1.2","after":"\#(sha)","repository":{"full_name":"acme/app"}}"#)
        #expect(decision == .trigger(.init(branch: nil, tag: "v1.2", revision: sha)))
    }

    @Test func deletedRefsAndOtherRefsStartNothing() throws {
        let deleted = try decide("push", #"{"ref":"refs/heads/old","deleted":true,"after":"0000000000000000000000000000000000000000"}"#)
        guard case .ignore = deleted else { Issue.record("deleted branch: \(deleted)"); return }
        let notes = try decide("push", #"{"ref":"refs/notes/commits","after":"\#(sha)"}"#)
        guard case .ignore = notes else { Issue.record("notes ref: \(notes)"); return }
    }

    @Test func pullRequestOpenedSynchronizeReopenedBuildTheHeadBranch() throws {
        for action in ["opened", "synchronize", "reopened"] {
            let decision = try decide("pull_request",
                #"{"action":"\#(action)","pull_request":{"head":{"ref":"fix-1","sha":"\#(sha)"}},"repository":{"full_name":"acme/app"}}"#)
            #expect(decision == .trigger(.init(branch: "fix-1", tag: nil, revision: sha)), "\(action)")
        }
        let closed = try decide("pull_request", #"{"action":"closed","pull_request":{"head":{"ref":"fix-1","sha":"\#(sha)"}}}"#)
        guard case .ignore = closed else { Issue.record("closed: \(closed)"); return }
    }

    @Test func pingPongsAndOtherEventsAreIgnored() throws {
        #expect(try decide("ping", #"{"zen":"Design for failure.","repository":{"full_name":"acme/app"}}"#) == .pong)
        guard case .ignore(let reason) = try decide("issues", #"{"action":"opened"}"#) else {
            Issue.record("issues event was not ignored"); return
        }
        #expect(reason.contains("issues"))
    }

    @Test func projectComesFromRepositoryFullName() throws {
        let payload = try GitHubWebhook.payload(Data(#"{"repository":{"full_name":"acme/app"}}"#.utf8))
        #expect(try GitHubWebhook.project(payload) == ProjectSlug("gh/acme/app"))
        let bad = try GitHubWebhook.payload(Data(#"{"repository":{"full_name":"acme"}}"#.utf8))
        #expect(throws: GitHubWebhook.DecodeError.self) { try GitHubWebhook.project(bad) }
        #expect(throws: GitHubWebhook.DecodeError.self) { try GitHubWebhook.payload(Data("not json".utf8)) }
    }
}
