import Foundation
import GyreConfig
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// API v1.1's user-level calls (`/me`, `/projects`, `/recent-builds`) and v2's
/// `/pipeline/{id}/config`, filtered by what the caller may read.
extension FrontendAPI {
    func registerAccount(on router: Router<Context>) {
        router.get("api/v1.1/me") { _, context in try await meV11(context) }
        router.get("api/v1.1/projects") { _, context in try await projectsV11(context) }
        router.get("api/v1.1/recent-builds") { request, context in try await recentBuildsAcrossProjects(request, context) }
        router.get("api/v2/pipeline/:id/config") { _, context in try await pipelineConfig(context) }
    }

    /// `GET /api/v1.1/me`, in v1.1's User shape.
    func meV11(_ context: Context) async throws -> Response {
        let (id, caller) = try currentUser(context)
        guard let user = try await guarded({ try await identity.user(id: id) }) else { throw APIError.notFound("user \(id)") }
        struct Out: Encodable {
            var login: String
            var name: String
            var admin: Bool
            var basic_email_prefs: String
            var user_key_fingerprint: String?
            func encode(to encoder: Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(login, forKey: .login)
                try c.encode(name, forKey: .name)
                try c.encode(admin, forKey: .admin)
                try c.encode(basic_email_prefs, forKey: .basic_email_prefs)
                try c.encode(user_key_fingerprint, forKey: .user_key_fingerprint)
            }
            enum CodingKeys: String, CodingKey { case login, name, admin, basic_email_prefs, user_key_fingerprint }
        }
        return JSONResponse.make(Out(login: user.login, name: user.name.isEmpty ? user.login : user.name,
                                     admin: caller.admin, basic_email_prefs: "smart", user_key_fingerprint: nil))
    }

    /// The followed projects the caller may read.
    func readableProjects(_ context: Context) async throws -> [(slug: ProjectSlug, vcsURL: String)] {
        let all = try await guarded { try await BuildStore(database: store.database).projects() }
        var result: [(ProjectSlug, String)] = []
        for (text, url) in all {
            guard let slug = ProjectSlug(text) else { continue }
            if Access.allows(try await level(context, project: slug), .viewBuilds) { result.append((slug, url)) }
        }
        return result
    }

    /// `GET /api/v1.1/projects`.
    func projectsV11(_ context: Context) async throws -> Response {
        struct Project: Encodable {
            var vcs_url: String
            var username: String
            var reponame: String
            var vcs_type: String
            var branches: [String: String]
        }
        let projects = try await readableProjects(context)
        return JSONResponse.make(projects.map {
            Project(vcs_url: $0.vcsURL, username: $0.slug.org, reponame: $0.slug.repo,
                    vcs_type: $0.slug.vcs == "bb" ? "bitbucket" : "github", branches: [:])
        })
    }

    /// `GET /api/v1.1/recent-builds?limit=&offset=`: the newest jobs across the projects the caller may read.
    func recentBuildsAcrossProjects(_ request: Request, _ context: Context) async throws -> Response {
        let limit = min(max(Int(request.uri.queryParameters.get("limit") ?? "") ?? 30, 1), 100)
        let offset = max(Int(request.uri.queryParameters.get("offset") ?? "") ?? 0, 0)
        let projects = try await readableProjects(context).map(\.slug.description)
        let jobs = try await guarded {
            try await BuildStore(database: store.database).recentJobs(projects: projects, limit: limit, offset: offset)
        }
        var builds: [V11Build] = []
        for (project, number) in jobs {
            guard let slug = ProjectSlug(project),
                  let job = try await guarded({ try await store.job(project: slug, number: number) }) else { continue }
            var build = try await buildDetails(job, slug: slug)
            build.steps = nil
            builds.append(build)
        }
        return JSONResponse.make(builds)
    }

    /// `GET /api/v2/pipeline/{id}/config`: the fetched configuration and, compiled again here, its processed form.
    func pipelineConfig(_ context: Context) async throws -> Response {
        let id = try uuid(context, "pipeline")
        guard let pipeline = try await guarded({ try await store.pipeline(id) }) else { throw APIError.notFound("pipeline \(id)") }
        try await authorize(context, .viewBuilds, project: pipeline.projectSlug)
        guard let texts = try await guarded({ try await store.configuration(pipeline: id) }) else {
            throw APIError.notFound("pipeline \(id)")
        }
        let orbs = try await guarded { try await OrbStore(database: store.database).all() }.compactMap { record -> OrbCatalog.Entry? in
            guard let version = OrbVersion(record.version), let source = record.source else { return nil }
            return OrbCatalog.Entry(name: record.name, version: version, source: source)
        }
        let compiler = ConfigCompiler(orbs: OrbCatalog(orbs))
        let values = pipeline.values(revision: pipeline.revision ?? "")
        func compiled(_ text: String?, continuation: Bool) -> String {
            guard let text, let plan = try? compiler.compile(yaml: text, parameters: pipeline.parameters, pipeline: values,
                                                             continuation: continuation) else { return "" }
            return (try? ConfigTool.render(plan, format: .yaml)) ?? ""
        }
        var out: [String: String] = [:]
        if texts.setup {
            out["setup-config"] = texts.source ?? ""
            out["compiled-setup-config"] = compiled(texts.source, continuation: false)
            out["source"] = texts.continuation ?? ""
            out["compiled"] = compiled(texts.continuation, continuation: true)
        } else {
            out["source"] = texts.source ?? ""
            out["compiled"] = compiled(texts.source, continuation: false)
        }
        return JSONResponse.make(out)
    }
}
