import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Status badges: `GET /badges/{vcs}/{org}/{repo}.svg?branch=B` (default `main`), an SVG of the newest
/// pipeline's status on that branch, at a public URL (no credential, as the badges are meant to be
/// embedded in a README); it says only passing, failing, running or no builds.
extension FrontendAPI {
    func registerBadges(on router: Router<Context>) {
        router.get("badges/:vcs/:org/:repo") { request, context in try await badge(request, context) }
    }

    func badge(_ request: Request, _ context: Context) async throws -> Response {
        guard let vcs = context.parameters.get("vcs"), let org = context.parameters.get("org"),
              var repo = context.parameters.get("repo") else { throw APIError.badRequest("give /badges/gh/{org}/{repo}.svg") }
        if repo.hasSuffix(".svg") { repo = String(repo.dropLast(4)) }
        guard let slug = ProjectSlug(vcs: vcs, org: org, repo: repo) else {
            throw APIError.badRequest("the project must look like gh/{org}/{repo}")
        }
        let branch = request.uri.queryParameters.get("branch").map { String($0) } ?? "main"
        let status = try await guarded {
            try await OperationsStore(database: store.database).latestStatus(project: slug.description, branch: branch)
        }
        return Response(status: .ok, headers: [.contentType: "image/svg+xml", .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(string: Self.badgeSVG(status))))
    }

    /// The badge's words and colour for a pipeline status (nil: no pipeline yet).
    static func badgeLabel(_ status: String?) -> (String, String) {
        switch status {
        case nil: return ("no builds", "#9ca3af")
        case "success": return ("passing", "#16a34a")
        case "failed", "error", "errored", "unauthorized", "canceled": return ("failing", "#dc2626")
        default: return ("running", "#2563eb")
        }
    }

    static func badgeSVG(_ status: String?) -> String {
        let (text, colour) = badgeLabel(status)
        let width = 40 + text.count * 7
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width + 44)" height="20" role="img" aria-label="build: \(text)">
            <title>build: \(text)</title><rect width="44" height="20" fill="#374151"/><rect x="44" width="\(width)" height="20" fill="\(colour)"/>
            <g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11">
            <text x="7" y="14">build</text><text x="52" y="14">\(text)</text></g></svg>
            """
    }
}
