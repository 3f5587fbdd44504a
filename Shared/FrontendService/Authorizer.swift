import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import GyreModel
import GyreServiceKit
import Logging

/// Asks the permissions service for a user's level on a project or an
/// organisation, through the decisions cached in Redis (`AccessCache`): most
/// requests cost one Redis round trip; a miss costs one call to the service.
struct Authorizer: Sendable {
    let cache: AccessCache
    let permissionsURL: String
    let internalToken: String?

    private struct Decision: Decodable { var level: AccessLevel }

    func level(user: UUID, organization: String, project: String?, logger: Logger) async throws -> AccessLevel {
        let field = AccessCache.field(user: user, organization: organization, project: project)
        if let generation = await cache.generation(), let level = await cache.cached(field, generation: generation) {
            return level
        }
        var components = URLComponents(string: "\(permissionsURL)/api/v1/access")
        components?.queryItems = [URLQueryItem(name: "user", value: user.uuidString.lowercased()),
                                  URLQueryItem(name: "organization", value: organization)]
            + (project.map { [URLQueryItem(name: "project", value: $0)] } ?? [])
        guard let url = components?.url else { throw APIError(.internalServerError, "bad GYRE_PERMISSIONS_URL") }
        var request = URLRequest(url: url)
        request.timeoutInterval = 5
        if let internalToken, !internalToken.isEmpty {
            request.setValue("Bearer \(internalToken)", forHTTPHeaderField: "Authorization")
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            guard (response as? HTTPURLResponse)?.statusCode == 200 else {
                logger.error("permissions service answered an access question with an error",
                             metadata: ["status": "\((response as? HTTPURLResponse)?.statusCode ?? 0)",
                                        "body": "\(String(decoding: data.prefix(300), as: UTF8.self))"])
                throw APIError(.serviceUnavailable, "the permissions service could not decide; try again (see its log)")
            }
            return try JSONDecoder().decode(Decision.self, from: data).level
        } catch let error as APIError {
            throw error
        } catch {
            logger.error("permissions service unreachable", metadata: ["url": "\(permissionsURL)", "error": "\(error)"])
            throw APIError(.serviceUnavailable, "the permissions service does not answer at \(permissionsURL); "
                           + "no access decision can be made until it is back")
        }
    }
}
