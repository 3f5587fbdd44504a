import Foundation
import GyreServiceKit
import GyreStore
import Hummingbird

extension StorageAPI {
    /// `PUT workspaces/{workflow}/layers/{job}?node=I`: the job's layer (a retry replaces it).
    func putLayer(_ request: Request, _ context: Context) async throws -> Response {
        let workflow = try uuid(context, "workflow")
        let node = try node(request)
        let job = try await job(context)
        guard job.workflowId == workflow else {
            throw APIError.notFound("job \(job.id) in workflow \(workflow) (it belongs to another workflow)")
        }
        let upload = try await uploads.receive(request, context: context)
        let name = files.newName(.layer(workflow: workflow))
        try await uploads.install(upload, as: name)
        let replaced: String?
        do {
            replaced = try await guarded { try await store.putLayer(job: job, node: node, size: upload.size, file: name) }
        } catch {
            await uploads.discard([name])
            throw error
        }
        await uploads.discard(replaced.map { [$0] } ?? [])
        struct Out: Encodable {
            var job_id: UUID
            var node: Int
            var size: Int64
        }
        return JSONResponse.make(Out(job_id: job.id, node: node, size: upload.size), status: .created)
    }

    /// `GET workspaces/{workflow}/layers?job=J`: the layers of J's upstream jobs, oldest first.
    func listLayers(_ request: Request, _ context: Context) async throws -> Response {
        let workflow = try uuid(context, "workflow")
        let text = try required(request, "job", "the id of the job that attaches the workspace")
        guard let id = UUID(uuidString: text) else { throw APIError.badRequest("job must be a UUID, not \"\(text)\"") }
        guard let job = try await guarded({ try await store.job(id) }), job.workflowId == workflow else {
            throw APIError.notFound("job \(id) in workflow \(workflow)")
        }
        let layers = try await guarded {
            let jobs = try await store.workspaceJobs(workflow: workflow)
            return try await store.layers(of: WorkspaceUpstream.upstream(of: job.id, in: jobs))
        }
        struct Layer: Encodable {
            var job_id: UUID
            var node: Int
            var size: Int64
        }
        struct Out: Encodable { var layers: [Layer] }
        return JSONResponse.make(Out(layers: layers.map { Layer(job_id: $0.jobId, node: $0.node, size: $0.size) }))
    }

    /// `GET workspaces/{workflow}/layers/{job}/blob?node=I`. The job may be in an earlier
    /// workflow (a rerun's copied job points at its original's layer).
    func getLayer(_ request: Request, _ context: Context) async throws -> Response {
        _ = try uuid(context, "workflow")
        let job = try uuid(context, "job")
        let node = try node(request)
        guard let layer = try await guarded({ try await store.layer(job: job, node: node) }) else {
            throw APIError.notFound("workspace layer of job \(job) node \(node)")
        }
        return try await blob(layer.file, size: layer.size, contentType: Self.gzip, context)
    }
}
