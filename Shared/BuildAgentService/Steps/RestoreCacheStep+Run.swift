import Foundation
import GyreModel

extension RestoreCacheStep {
    /// Tries each rendered key in order as a prefix; restores the newest match of the first
    /// that matches. No match is not a failure.
    func run(in context: StepContext) async throws {
        var rendered: [String] = []
        for template in keys {
            do {
                rendered.append(try await context.renderKey(template))
            } catch {
                context.say("Skipping key \(template): \(error)")
            }
        }
        guard !rendered.isEmpty,
              let entry = try await context.storage.findCache(project: context.project, prefixes: rendered) else {
            context.say("No cache is found for keys: \(rendered.joined(separator: ", "))")
            return
        }
        if let build = entry.buildNumber {
            context.say("Found a cache from build \(build) at \(entry.key)")
        } else {
            context.say("Found a cache at \(entry.key)")
        }
        let archive = context.scratchFile("cache.tar.gz")
        try await context.storage.downloadCache(project: context.project, key: entry.key, to: archive)
        context.say("Size: \(StepContext.human(StepContext.size(archive)))")
        try await context.extract(archive, into: context.shell.cacheRoot)
        context.say("Restored cache \(entry.key)")
    }
}
