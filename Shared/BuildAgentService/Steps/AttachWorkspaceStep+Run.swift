import Foundation
import GyreModel

extension AttachWorkspaceStep {
    /// Extracts every upstream layer under `at`, oldest first (later layers win).
    func run(in context: StepContext) async throws {
        let target = context.shell.resolve(at)
        let layers = try await context.storage.layers(workflow: context.job.workflowId, job: context.ownerJob)
        guard !layers.isEmpty else {
            context.say("No workspace was persisted by the jobs this one requires; nothing to attach at \(target)")
            return
        }
        context.say("Downloading workspace layers")
        for (index, layer) in layers.enumerated() {
            let archive = context.scratchFile("layer-\(index).tar.gz")
            try await context.storage.downloadLayer(workflow: context.job.workflowId, layer: layer, to: archive)
            context.say("  layer from job \(layer.jobId.uuidString.lowercased()) node \(layer.node) (\(StepContext.human(StepContext.size(archive))))")
            try await context.extract(archive, into: target)
            try? FileManager.default.removeItem(atPath: archive)
        }
        context.say("Attached \(layers.count) workspace layer(s) at \(target)")
    }
}
