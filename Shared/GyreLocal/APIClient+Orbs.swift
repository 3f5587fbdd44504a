import Foundation

/// Imported orbs (`gyre orb import|list`) and dynamic configuration (`POST /pipeline/continue`).
extension APIClient {
    public struct OrbItem: Decodable, Sendable {
        public var name: String
        public var version: String
        public var sha256: String?
        public var size: Int?
        public var imported_at: Date?
        public var source: String
    }

    public struct Imported: Decodable, Sendable {
        public var name: String
        public var version: String
        public var outcome: String
        public var message: String
    }

    /// `PUT /api/gyre/orbs/{namespace}/{name}/{version}` with the orb's YAML.
    public func importOrb(name: String, version: String, source: String, adminToken: String?) async throws -> Imported {
        var headers = ["Content-Type": "application/x-yaml"]
        if let adminToken { headers["Circle-Token"] = adminToken }
        let (status, response) = await http.send("PUT", base.appendingPathComponent("api/gyre/orbs/\(name)/\(version)"),
                                                 body: Data(source.utf8), headers: headers)
        guard (200..<300).contains(status) else {
            throw APIFailure(status: status, body: String(decoding: response, as: UTF8.self))
        }
        return try JSONDecoder.api.decode(Imported.self, from: response)
    }

    public func orbs() async throws -> [OrbItem] {
        struct List: Decodable { var items: [OrbItem] }
        return try await call("GET", "api/gyre/orbs", as: List.self).items
    }

    /// `POST /api/v2/pipeline/continue`; the HTTP status and the message.
    public func continuePipeline(key: String, configuration: String,
                                 parameters: [String: Any] = [:]) async throws -> (status: Int, message: String) {
        let body = try JSONSerialization.data(withJSONObject: [
            "continuation-key": key, "configuration": configuration, "parameters": parameters,
        ] as [String: Any])
        let (status, response) = await http.send("POST", base.appendingPathComponent("api/v2/pipeline/continue"),
                                                 body: body, headers: ["Content-Type": "application/json"])
        let message = (try? JSONDecoder().decode([String: String].self, from: response))?["message"]
            ?? String(decoding: response, as: UTF8.self)
        return (status, message)
    }
}
