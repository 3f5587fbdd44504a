import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Project SSH keys for `add_ssh_keys` (v1.1 shapes), and the project's webhook secret.
/// Private keys and secrets are never logged and never returned here.
extension FrontendAPI {
    func registerSSHKeys(on router: Router<Context>) {
        let v11 = router.group("api/v1.1/project/:vcs/:org/:repo")
        v11.post("ssh-key") { request, context in try await addSSHKey(request, context) }
        v11.get("ssh-key") { request, context in try await listSSHKeys(request, context) }
        v11.delete("ssh-key") { request, context in try await deleteSSHKey(request, context) }
        router.put("api/v2/project/:vcs/:org/:repo/webhook-secret") { request, context in
            try await setWebhookSecret(request, context)
        }
    }

    struct SSHKeyBody: Decodable {
        var hostname: String?
        var private_key: String?
    }

    struct APISSHKey: Encodable {
        var fingerprint: String
        var fingerprint_sha256: String
        var hostname: String
        var type: String
        var public_key: String
        var created_at: Date

        init(_ key: SSHKeyRecord) {
            fingerprint = key.fingerprint
            fingerprint_sha256 = key.fingerprintSHA256
            hostname = key.hostname
            type = key.keyType
            public_key = key.publicKey
            created_at = key.createdAt
        }
    }

    func addSSHKey(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        guard let body = try await body(SSHKeyBody.self, request, allowEmpty: false),
              let privateKey = body.private_key, !privateKey.isEmpty else {
            throw APIError.badRequest("give {\"hostname\": \"...\", \"private_key\": \"-----BEGIN ...\"}")
        }
        let hostname = (body.hostname ?? "").trimmingCharacters(in: .whitespaces)
        guard hostname.count <= 253, !hostname.contains(where: { $0.isWhitespace || $0 == "/" }) else {
            throw APIError.badRequest("hostname must be a host name (or empty for every host)")
        }
        let parsed: SSHPrivateKey
        do {
            parsed = try SSHPrivateKey(pem: privateKey)
        } catch {
            throw APIError.badRequest(error.message)
        }
        let key = SSHKeyRecord(fingerprint: parsed.md5Fingerprint, fingerprintSHA256: parsed.sha256Fingerprint,
                               hostname: hostname, keyType: parsed.type, publicKey: parsed.publicKey,
                               privateKey: privateKey.trimmingCharacters(in: .whitespacesAndNewlines) + "\n")
        let change = settingsChange(request, context, [
            "changed": ["ssh_keys"],
            "ssh_key": ["operation": "add", "fingerprint": .string(key.fingerprint), "hostname": .string(hostname),
                        "type": .string(key.keyType)],
        ])
        guard try await guarded({
            try await SSHKeyStore(database: store.database, secrets: secrets).add(project: slug, key: key, change: change)
        }) else {
            throw APIError.notFound("project \(slug) (follow it first: POST /api/v1.1/project/\(slug)/follow)")
        }
        return JSONResponse.make(APISSHKey(key), status: .created)
    }

    func listSSHKeys(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .viewBuilds)
        guard try await guarded({ try await store.project(slug) }) != nil else { throw APIError.notFound("project \(slug)") }
        let keys = try await guarded {
            try await SSHKeyStore(database: store.database, secrets: secrets).keys(project: slug, includePrivate: false)
        }
        return JSONResponse.make(keys.map(APISSHKey.init))
    }

    struct SSHKeyDeleteBody: Decodable {
        var fingerprint: String
        var hostname: String?
    }

    func deleteSSHKey(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        guard let body = try await body(SSHKeyDeleteBody.self, request, allowEmpty: false) else {
            throw APIError.badRequest("give {\"fingerprint\": \"...\", \"hostname\": \"...\"}")
        }
        let change = settingsChange(request, context, [
            "changed": ["ssh_keys"],
            "ssh_key": ["operation": "delete", "fingerprint": .string(body.fingerprint), "hostname": .optional(body.hostname)],
        ])
        let deleted = try await guarded {
            try await SSHKeyStore(database: store.database, secrets: secrets).delete(project: slug, fingerprint: body.fingerprint,
                                                                  hostname: body.hostname, change: change)
        }
        guard deleted > 0 else { throw APIError.notFound("SSH key \(body.fingerprint) of project \(slug)") }
        return JSONResponse.make(["message": "ok"])
    }

    struct SecretBody: Decodable {
        var secret: String?
    }

    func setWebhookSecret(_ request: Request, _ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        let body = try await body(SecretBody.self, request, allowEmpty: false)
        let secret = body?.secret.flatMap { $0.isEmpty ? nil : $0 }
        try Self.checkWebhookSecret(secret)
        let change = settingsChange(request, context, ["changed": ["webhook_secret"],
                                                       "webhook_secret": secret == nil ? "removed" : "set"])
        guard try await guarded({
            try await WebhookStore(database: store.database, secrets: secrets).setSecret(project: slug, secret: secret, change: change)
        }) else {
            throw APIError.notFound("project \(slug) (follow it first: POST /api/v1.1/project/\(slug)/follow)")
        }
        return JSONResponse.make(["message": secret == nil ? "webhook secret removed" : "webhook secret set"])
    }

    static func checkWebhookSecret(_ secret: String?) throws {
        guard let secret else { return }
        guard secret.utf8.count <= 1024 else { throw APIError.badRequest("the webhook secret is longer than 1024 bytes") }
    }
}
