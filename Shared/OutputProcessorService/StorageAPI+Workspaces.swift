import Foundation
import GyreServiceKit
import GyreStore
import Hummingbird
import NIOPosix

/// Workspaces: each `persist_to_workspace` of a job is a layer; a job attaches
/// the layers of the jobs it requires (directly or not), oldest first.
///
/// Retries are safe: with `&step=S` a second PUT of the same job, node and step
/// replaces the first; without it, a PUT whose bytes equal the job's node's
/// latest layer is recognised as a retry and stored once, and different bytes
/// (the job's next persist step) become a new layer.
extension StorageAPI {
    struct LayerOut: Encodable {
        var id: Int64
        var job_id: UUID
        var node: Int
        var size: Int64

        init(_ layer: WorkspaceLayerRecord) {
            id = layer.id
            job_id = layer.jobId
            node = layer.node
            size = layer.size
        }
    }

    /// `PUT workspaces/{workflow}/layers/{job}?node=I[&step=S]`.
    func putLayer(_ request: Request, _ context: Context) async throws -> Response {
        let workflow = try uuid(context, "workflow")
        let node = try node(request)
        let step = try optionalIndex(request, "step", "the persisting step's index")
        let job = try await job(context)
        guard job.workflowId == workflow else {
            throw APIError.notFound("job \(job.id) in workflow \(workflow) (it belongs to another workflow)")
        }
        let upload = try await uploads.receive(request, context: context)
        if step == nil, let latest = try await guarded({ try await store.latestLayer(job: job.id, node: node) }),
           latest.size == upload.size, await sameBytes(upload.path, files.absolute(latest.file)) {
            files.removeTemporary(upload.path)
            return JSONResponse.make(LayerOut(latest), status: .created)
        }
        let name = files.newName(.layer(workflow: workflow))
        try await uploads.install(upload, as: name)
        let stored: (layer: WorkspaceLayerRecord, replaced: String?)
        do {
            stored = try await guarded {
                try await store.addLayer(job: job, node: node, step: step, size: upload.size, file: name)
            }
        } catch {
            await uploads.discard([name])
            throw error
        }
        await uploads.discard(stored.replaced.map { [$0] } ?? [])
        return JSONResponse.make(LayerOut(stored.layer), status: .created)
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
        struct Out: Encodable { var layers: [LayerOut] }
        return JSONResponse.make(Out(layers: layers.map(LayerOut.init)))
    }

    /// `GET workspaces/{workflow}/layers/{job}/blob?node=I[&layer=ID]`: the layer with
    /// that id, else the node's latest. The job may be in an earlier workflow (a
    /// rerun's copied job points at its original's layers).
    func getLayer(_ request: Request, _ context: Context) async throws -> Response {
        _ = try uuid(context, "workflow")
        let job = try uuid(context, "job")
        let node = try node(request)
        let id = try optionalIndex(request, "layer", "a layer id from the layer list").map(Int64.init)
        guard let layer = try await guarded({ try await store.layer(job: job, node: node, id: id) }) else {
            throw APIError.notFound("workspace layer of job \(job) node \(node)\(id.map { " with id \($0)" } ?? "")")
        }
        return try await blob(layer.file, size: layer.size, contentType: Self.gzip, context)
    }

    /// An optional whole-number query parameter.
    func optionalIndex(_ request: Request, _ name: String, _ meaning: String) throws -> Int? {
        guard let text = query(request, name), !text.isEmpty else { return nil }
        guard let value = Int(text), value >= 0 else {
            throw APIError.badRequest("\(name) must be \(meaning) (a whole number from 0), not \"\(text)\"")
        }
        return value
    }

    /// Whether two files hold the same bytes (read off the concurrency pool).
    func sameBytes(_ first: String, _ second: String) async -> Bool {
        (try? await NIOThreadPool.singleton.runIfActive { () -> Bool in
            guard let a = FileHandle(forReadingAtPath: first), let b = FileHandle(forReadingAtPath: second) else { return false }
            defer {
                try? a.close()
                try? b.close()
            }
            while true {
                let left = (try a.read(upToCount: 1 << 20)) ?? Data()
                let right = (try b.read(upToCount: 1 << 20)) ?? Data()
                if left != right { return false }
                if left.isEmpty { return true }
            }
        }) ?? false
    }
}
