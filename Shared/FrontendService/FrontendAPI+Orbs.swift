import Foundation
import GyreConfig
import GyreServiceKit
import GyreStore
import Hummingbird

/// Imported orbs (Gyre's own admin API; CircleCI's registry is not reachable
/// from this server): `gyre orb import` and `gyre orb list` call these.
extension FrontendAPI {
    func registerOrbs(on router: Router<Context>) {
        router.get("api/gyre/orbs") { request, context in try await listOrbs(request, context) }
        router.put("api/gyre/orbs/:namespace/:name/:version") { request, context in try await importOrb(request, context) }
    }

    struct OrbItem: Encodable {
        var name: String
        var version: String
        var sha256: String?
        var size: Int?
        var imported_by: String?
        var imported_at: Date?
        /// "imported" or "shipped" (comes with the server, answers any version no import matches).
        var source: String
    }

    struct OrbList: Encodable {
        var items: [OrbItem]
    }

    func listOrbs(_ request: Request, _ context: Context) async throws -> Response {
        let records = try await guarded { try await OrbStore(database: store.database).list() }
        var items = records.map {
            OrbItem(name: $0.name, version: $0.version, sha256: $0.sha256, size: $0.size, imported_by: $0.importedBy,
                    imported_at: $0.importedAt, source: "imported")
        }
        items += ShippedOrbs.all.keys.sorted().map {
            OrbItem(name: $0, version: "any", sha256: nil, size: nil, imported_by: nil, imported_at: nil, source: "shipped")
        }
        return JSONResponse.make(OrbList(items: items))
    }

    func importOrb(_ request: Request, _ context: Context) async throws -> Response {
        try requireAdmin(context, because: "importing an orb")
        guard let namespace = context.parameters.get("namespace"), let name = context.parameters.get("name"),
              OrbCatalog.isName("\(namespace)/\(name)") else {
            throw APIError.badRequest("the orb's name must be namespace/name (letters, digits, - and _)")
        }
        let versionText = context.parameters.get("version") ?? ""
        guard let version = OrbVersion(versionText) else {
            throw APIError.badRequest("\"\(versionText)\" is not an orb version: give major.minor.patch, e.g. 1.2.3")
        }
        let buffer = try await rawBody(request)
        let source = String(decoding: buffer.readableBytesView, as: UTF8.self)
        guard !source.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw APIError.badRequest("send the orb's YAML as the request body (pack a src/ tree with gyre orb pack)")
        }
        do {
            try ConfigCompiler().validateOrb(yaml: source)
        } catch {
            let first = error.errors.prefix(5).map(\.description).joined(separator: "; ")
            throw APIError.badRequest("\(namespace)/\(name)@\(version) is not a valid orb: \(first)")
        }
        let outcome = try await guarded {
            do {
                return try await OrbStore(database: store.database).importOrb(
                    name: "\(namespace)/\(name)", version: (version.major, version.minor, version.patch),
                    source: source, by: "api")
            } catch let error as StoreError where error.code == .conflict {
                throw APIError(.conflict, error.message)
            }
        }
        struct Out: Encodable {
            var name: String
            var version: String
            var outcome: String
            var message: String
        }
        let message = outcome == .imported ? "imported \(namespace)/\(name)@\(version)"
            : "\(namespace)/\(name)@\(version) was already imported with this content"
        return JSONResponse.make(Out(name: "\(namespace)/\(name)", version: version.description,
                                     outcome: outcome.rawValue, message: message),
                                 status: outcome == .imported ? .created : .ok)
    }
}
