import Foundation
import GyreServiceKit
import GyreStore
import Hummingbird

extension StorageAPI {
    /// `PUT jobs/{job}/artifacts?node=I&path=P`: one file; the same path again replaces it.
    func putArtifact(_ request: Request, _ context: Context) async throws -> Response {
        let raw = try required(request, "path", "the artifact's path relative to the job's artifacts")
        let path: ArtifactPath
        do {
            path = try ArtifactPath(raw)
        } catch {
            throw APIError.badRequest("artifact path: \(error.description)")
        }
        let node = try node(request)
        let job = try await job(context)
        let upload = try await uploads.receive(request, context: context)
        let name = files.newName(.artifact(job: job.id))
        try await uploads.install(upload, as: name)
        let replaced: String?
        do {
            replaced = try await guarded {
                try await store.putArtifact(job: job.id, node: node, path: path, size: upload.size, file: name)
            }
        } catch {
            await uploads.discard([name])
            throw error
        }
        await uploads.discard(replaced.map { [$0] } ?? [])
        struct Out: Encodable {
            var path: String
            var node_index: Int
            var size: Int64
        }
        return JSONResponse.make(Out(path: path.value, node_index: node, size: upload.size), status: .created)
    }
}
