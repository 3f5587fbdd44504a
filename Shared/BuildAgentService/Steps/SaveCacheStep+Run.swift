import Foundation
import GyreModel

extension SaveCacheStep {
    /// Archives `paths` under the rendered key, unless a cache with that key exists (caches are immutable).
    func run(in context: StepContext) async throws {
        let key = try await context.renderKey(self.key)
        if try await context.storage.cacheExists(project: context.project, key: key) {
            context.say("Skipping cache generation, cache already exists for key: \(key)")
            return
        }
        let wanted = paths.map { context.shell.resolve($0) }
        let found = try await context.existing(wanted)
        for path in wanted where !found.contains(path) {
            context.say("Warning: could not find \(path); it is not part of the cache")
        }
        guard !found.isEmpty else {
            context.say("None of the paths exist, so no cache was saved for key: \(key)")
            return
        }
        context.say("Creating cache archive of \(found.joined(separator: ", "))")
        let archive = context.scratchFile("cache.tar.gz")
        // Absolute paths (without the leading "/") so restore_cache puts them back where they were.
        try await context.archive(found.map { String($0.drop(while: { $0 == "/" })) }, base: "/", to: archive)
        let size = StepContext.size(archive)
        context.say("Uploading cache archive (\(StepContext.human(size)))")
        if try await context.storage.uploadCache(project: context.project, key: key, file: archive) {
            context.say("Stored Cache to \(key)")
        } else {
            context.say("Skipping cache generation, cache already exists for key: \(key)")
        }
    }
}
