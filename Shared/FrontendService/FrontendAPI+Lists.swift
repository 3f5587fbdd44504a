import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// API v2 lists: pipelines of a project, of an organisation, the caller's;
/// the caller's organisations and a user by id.
extension FrontendAPI {
    func registerLists(on router: Router<Context>) {
        let v2 = router.group("api/v2")
        v2.get("project/:vcs/:org/:repo/pipeline") { request, context in try await projectPipelines(request, context, mine: false) }
        v2.get("project/:vcs/:org/:repo/pipeline/mine") { request, context in try await projectPipelines(request, context, mine: true) }
        v2.get("pipeline") { request, context in try await organizationPipelines(request, context) }
        v2.get("me/collaborations") { _, context in try await collaborations(context) }
        v2.get("user/:id") { _, context in try await user(context) }
    }

    static let pageSize = 20

    /// `page-token` is the offset of the page, as text.
    func offset(_ request: Request) throws -> Int {
        guard let token = request.uri.queryParameters.get("page-token"), !token.isEmpty else { return 0 }
        guard let offset = Int(token), offset >= 0, offset <= 1_000_000 else {
            throw APIError.badRequest("page-token is not one this server gave out; start without it")
        }
        return offset
    }

    func page(_ pipelines: [PipelineRecord], offset: Int) -> Response {
        let more = pipelines.count > Self.pageSize
        return JSONResponse.make(Page(items: pipelines.prefix(Self.pageSize).map(APIPipeline.init),
                                      next_page_token: more ? String(offset + Self.pageSize) : nil))
    }

    func projectPipelines(_ request: Request, _ context: Context, mine: Bool) async throws -> Response {
        let slug = try await slug(context, may: .viewStatus)
        guard try await guarded({ try await store.project(slug) }) != nil else { throw APIError.notFound("project \(slug)") }
        let offset = try offset(request)
        let actor = mine ? try currentUser(context).id : nil
        let branch: String? = mine ? nil : request.uri.queryParameters.get("branch").map { String($0) }
        let rows = try await guarded {
            try await store.pipelines(project: slug.description, branch: branch, actor: actor, offset: offset,
                                      limit: Self.pageSize + 1)
        }
        return page(rows, offset: offset)
    }

    func organizationPipelines(_ request: Request, _ context: Context) async throws -> Response {
        guard let org = request.uri.queryParameters.get("org-slug").map({ String($0) }),
              org.split(separator: "/").count == 2 else {
            throw APIError.badRequest("give org-slug, e.g. ?org-slug=gh/acme")
        }
        let normalized = ProjectSlug("\(org)/x").map { "\($0.vcs)/\($0.org)" } ?? org
        try await authorizeOrganization(context, normalized, manage: false)
        let mine = request.uri.queryParameters.get("mine") == "true"
        let offset = try offset(request)
        let actor = mine ? try currentUser(context).id : nil
        let rows = try await guarded {
            try await store.pipelines(organization: normalized, actor: actor, offset: offset, limit: Self.pageSize + 1)
        }
        return page(rows, offset: offset)
    }

    /// `GET /me/collaborations`: the organisations of this installation (memberships come with roles).
    func collaborations(_ context: Context) async throws -> Response {
        let (user, caller) = try currentUser(context)
        var organizations = try await guarded { try await store.organizations() }
        if !caller.admin {
            // A user sees the organisations they belong to.
            let mine = Set(try await guarded { try await RoleStore(database: store.database).memberships(user: user) }.map(\.organization))
            organizations = organizations.filter { mine.contains($0.slug) }
        }
        struct Item: Encodable {
            var id: String
            var vcsType: String
            var name: String
            var avatarURL: String
            var slug: String
            enum CodingKeys: String, CodingKey {
                case id, vcsType = "vcs-type", name, avatarURL = "avatar_url", slug
            }
        }
        return JSONResponse.make(organizations.map {
            Item(id: $0.id.uuidString.lowercased(), vcsType: ["gh": "github", "bb": "bitbucket"][$0.vcsType] ?? $0.vcsType,
                 name: $0.name, avatarURL: "", slug: $0.slug)
        })
    }

    /// `GET /user/{id}`.
    func user(_ context: Context) async throws -> Response {
        let id = try uuid(context, "user")
        guard let user = try await guarded({ try await identity.user(id: id) }) else { throw APIError.notFound("user \(id)") }
        return JSONResponse.make(APIUser(user))
    }
}
