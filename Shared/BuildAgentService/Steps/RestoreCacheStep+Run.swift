import Foundation
import GyreModel

extension RestoreCacheStep {
    /// Tries each rendered key in order as a prefix; restores the newest match of the first
    /// that matches. No match is not a failure, and neither is any problem with the cache
    /// (the lookup, the download or the archive): as on CircleCI, it is a miss with a warning,
    /// and `save_cache` stores it again.
    func run(in context: StepContext) async throws {
        var rendered: [String] = []
        for template in keys {
            do {
                rendered.append(try await context.renderKey(template))
            } catch {
                context.say("Skipping key \(template): \(error)")
            }
        }
        guard !rendered.isEmpty else {
            context.say("No cache is found for keys: \(rendered.joined(separator: ", "))")
            return
        }
        let entry: StorageClient.CacheEntry?
        do {
            entry = try await context.storage.findCache(project: context.project, prefixes: rendered)
        } catch {
            context.say("Warning: cannot look the cache up (\(error)); continuing without it")
            return
        }
        guard let entry else {
            context.say("No cache is found for keys: \(rendered.joined(separator: ", "))")
            return
        }
        if let build = entry.buildNumber {
            context.say("Found a cache from build \(build) at \(entry.key)")
        } else {
            context.say("Found a cache at \(entry.key)")
        }
        let archive = context.scratchFile("cache.tar.gz")
        do {
            try await context.storage.downloadCache(project: context.project, key: entry.key, to: archive)
            context.say("Size: \(StepContext.human(StepContext.size(archive)))")
            try await context.extract(archive, into: context.shell.cacheRoot)
        } catch {
            context.say("Warning: the cache \(entry.key) could not be restored (\(error)); continuing without it")
            return
        }
        context.say("Restored cache \(entry.key)")
    }
}
