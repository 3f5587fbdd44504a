import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird
import Logging

/// The internal endpoint a build agent reads project SSH keys from for the
/// `add_ssh_keys` step: `GET /internal/v1/projects/{vcs}/{org}/{repo}/ssh-keys?fingerprint=F&fingerprint=G`
/// → `{"keys": [{"fingerprint", "hostname", "private_key"}]}` (no fingerprint = every key).
/// Keys are matched by their MD5 (`aa:bb:...`) or SHA256 (`SHA256:...`) fingerprint. Never logged.
struct SSHKeyAPI: Sendable {
    let store: SSHKeyStore

    typealias Context = GyreRequestContext

    func register(on router: Router<Context>) {
        router.get("internal/v1/projects/:vcs/:org/:repo/ssh-keys") { request, context in try await keys(request, context) }
    }

    struct Key: Encodable {
        var fingerprint: String
        var fingerprint_sha256: String
        var hostname: String
        var type: String
        var public_key: String
        var private_key: String
    }

    struct Answer: Encodable {
        var keys: [Key]
    }

    func keys(_ request: Request, _ context: Context) async throws -> Response {
        guard let vcs = context.parameters.get("vcs"), let org = context.parameters.get("org"),
              let repo = context.parameters.get("repo"), let slug = ProjectSlug(vcs: vcs, org: org, repo: repo) else {
            throw APIError.badRequest("project slug must look like gh/{org}/{repo}")
        }
        let fingerprints = request.uri.queryParameters.getAll("fingerprint").map { Self.normalise(String($0)) }
        let records: [SSHKeyRecord]
        do {
            records = try await store.keys(project: slug, fingerprints: fingerprints, includePrivate: true)
        } catch {
            throw APIError.unavailable("the database is not reachable right now; try again shortly")
        }
        return JSONResponse.make(Answer(keys: records.map {
            Key(fingerprint: $0.fingerprint, fingerprint_sha256: $0.fingerprintSHA256, hostname: $0.hostname,
                type: $0.keyType, public_key: $0.publicKey, private_key: $0.privateKey ?? "")
        }))
    }

    /// `MD5:aa:bb` (as `ssh-keygen -E md5` prints it), upper-case and colon-less hex match the stored `aa:bb`.
    static func normalise(_ fingerprint: String) -> String {
        let trimmed = fingerprint.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("SHA256:") { return trimmed }
        let bare = (trimmed.hasPrefix("MD5:") ? String(trimmed.dropFirst(4)) : trimmed).lowercased()
        // 32 hex digits without colons: the same MD5 fingerprint.
        if bare.count == 32, bare.allSatisfy(\.isHexDigit) {
            var pairs: [String] = []
            var index = bare.startIndex
            while index < bare.endIndex {
                let next = bare.index(index, offsetBy: 2)
                pairs.append(String(bare[index..<next]))
                index = next
            }
            return pairs.joined(separator: ":")
        }
        return bare
    }
}
