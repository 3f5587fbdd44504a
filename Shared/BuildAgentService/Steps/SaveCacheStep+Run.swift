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
        let root = context.shell.cacheRoot
        var wanted: [String] = []
        for path in paths.map({ context.shell.resolve($0) }) {
            if let relative = Self.relative(path, to: root) {
                wanted.append(relative)
            } else {
                context.say("Warning: \(path) is outside the job's home on this host runner; only paths under ~ are cached here")
            }
        }
        let absolute = wanted.map { root == "/" ? "/\($0)" : "\(root)/\($0)" }
        let existing = Set(try await context.existing(absolute))
        var found: [String] = []
        for (path, relative) in zip(absolute, wanted) {
            if existing.contains(path) {
                found.append(relative)
            } else {
                context.say("Warning: could not find \(path); it is not part of the cache")
            }
        }
        guard !found.isEmpty else {
            context.say("None of the paths exist, so no cache was saved for key: \(key)")
            return
        }
        context.say("Creating cache archive of \(found.map { root == "/" ? "/\($0)" : "~/\($0)" }.joined(separator: ", "))")
        let archive = context.scratchFile("cache.tar.gz")
        // Relative to the cache root so restore_cache puts them back where they were.
        try await context.archive(found, base: root, to: archive)
        let size = StepContext.size(archive)
        context.say("Uploading cache archive (\(StepContext.human(size)))")
        if try await context.storage.uploadCache(project: context.project, key: key, job: context.ownerJob, file: archive) {
            context.say("Stored Cache to \(key)")
        } else {
            context.say("Skipping cache generation, cache already exists for key: \(key)")
        }
    }

    /// `path` relative to `root` (`/` or a directory); nil when outside it.
    static func relative(_ path: String, to root: String) -> String? {
        if root == "/" { return String(path.drop(while: { $0 == "/" })) }
        if path == root { return "." }
        guard path.hasPrefix(root + "/") else { return nil }
        let relative = String(path.dropFirst(root.count + 1))
        return relative.split(separator: "/").contains("..") ? nil : relative
    }
}
