import Foundation
import GyreServiceKit
import GyreStore
import Hummingbird

/// The internal storage API answers only build agents about the jobs they
/// run: each assignment carries a job token (`Authorization: Bearer …`),
/// valid while that attempt is placed or running, for its own project,
/// workflow and job. An operator's GYRE_INTERNAL_TOKEN reaches everything.
/// Health and metrics stay open.
struct AgentAuthMiddleware: RouterMiddleware {
    typealias Context = GyreRequestContext
    let store: StorageStore
    let internalToken: String?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path.hasPrefix("/internal/") else { return try await next(request, context) }
        guard let token = Self.credential(request) else {
            throw APIError(.unauthorized, "the storage API needs the job's token (Authorization: Bearer …), which the "
                           + "build agent gets with each assignment")
        }
        if let internalToken, !internalToken.isEmpty, Credentials.equal(token, internalToken) { return try await next(request, context) }
        let credential = try await APIError.guardingDatabase(logger: context.logger) {
            try await store.jobCredential(token: token)
        }
        guard let credential else {
            throw APIError(.unauthorized, "the job token is not valid: unknown, or its job is no longer running")
        }
        guard InternalScope.allows(path: path, credential) else {
            throw APIError(.forbidden, "a job may only use its own project's caches and keys, its workflow's workspace "
                           + "and its own artifacts and test results")
        }
        return try await next(request, context)
    }

    static func credential(_ request: Request) -> String? {
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") {
            let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
            if !token.isEmpty { return token }
        }
        if let header = request.headers[.init("Circle-Token")!], !header.isEmpty { return header }
        return nil
    }
}

/// Which internal paths a job credential reaches (pure, tested without I/O).
enum InternalScope {
    static func allows(path: String, _ credential: JobCredential) -> Bool {
        let parts = path.split(separator: "/").map { $0.removingPercentEncoding ?? String($0) }
        guard parts.count >= 3, parts[0] == "internal", parts[1] == "v1" else { return false }
        func project(at index: Int) -> String? {
            parts.count > index + 2 ? "\(parts[index])/\(parts[index + 1])/\(parts[index + 2])" : nil
        }
        func sameProject(_ slug: String?) -> Bool {
            guard let slug else { return false }
            return ProjectSlugMatch.same(slug, credential.project)
        }
        switch parts[2] {
        case "caches", "projects":
            return sameProject(project(at: 3))
        case "workspaces":
            return parts.count > 3 && UUID(uuidString: parts[3]) == credential.workflow
        case "jobs":
            guard parts.count > 4, let job = UUID(uuidString: parts[3]) else { return false }
            if parts[4] == "failed-tests" { return job == credential.previousRun }
            return job == credential.job || job == credential.parentJob
        default:
            return false
        }
    }
}

/// `gh/org/repo` and `github/org/repo` name the same project.
enum ProjectSlugMatch {
    static func same(_ a: String, _ b: String) -> Bool {
        normalize(a) == normalize(b)
    }

    static func normalize(_ slug: String) -> String {
        let parts = slug.split(separator: "/", maxSplits: 1)
        guard parts.count == 2 else { return slug }
        let vcs = ["github": "gh", "bitbucket": "bb"][String(parts[0])] ?? String(parts[0])
        return "\(vcs)/\(parts[1])"
    }
}
