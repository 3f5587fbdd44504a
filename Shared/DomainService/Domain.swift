import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Organisations, projects and users. Today it lists the followed projects;
/// users and organisations arrive with authentication.
public enum Domain {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "domain", defaultPort: 3014, environment: environment)
        let (database, _) = app.postgres(maxConnections: 2)
        app.routes { router in
            router.get("api/domain/projects") { _, _ -> Response in
                struct Item: Encodable {
                    var slug: String
                    var vcs_url: String
                }
                do {
                    var items: [Item] = []
                    let rows = try await database.query("SELECT slug, vcs_url FROM projects ORDER BY slug")
                    for try await (slug, url) in rows.decode((String, String).self) {
                        items.append(Item(slug: slug, vcs_url: url))
                    }
                    return JSONResponse.make(["items": items])
                } catch {
                    throw APIError.unavailable("the database is not reachable right now")
                }
            }
        }
        return app
    }
}
