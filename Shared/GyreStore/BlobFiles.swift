import Foundation

/// Where the storage service keeps blobs (caches, workspace layers, artifacts)
/// under the storage directory. Uploads are written to `tmp/` and renamed into
/// place once complete and flushed (same file system, so the rename is atomic);
/// each blob gets a fresh name, so a reader never sees a file being replaced.
public struct BlobFiles: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public enum Kind: Sendable {
        case cache
        case layer(workflow: UUID)
        case artifact(job: UUID)
    }

    /// A new, unused blob name for `kind`, relative to the root.
    public func newName(_ kind: Kind) -> String {
        let name = UUID().uuidString.lowercased()
        switch kind {
        case .cache: return "caches/\(name).tar.gz"
        case .layer(let workflow): return "workspaces/\(workflow.uuidString.lowercased())/\(name).tar.gz"
        case .artifact(let job): return "artifacts/\(job.uuidString.lowercased())/\(name)"
        }
    }

    public func absolute(_ relative: String) -> String { "\(root)/\(relative)" }

    public var temporaryDirectory: String { "\(root)/tmp" }

    /// A path for an upload in progress.
    public func temporaryFile() throws(StoreError) -> String {
        do {
            try FileManager.default.createDirectory(atPath: temporaryDirectory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.unavailable, "cannot create \(temporaryDirectory): \(error.localizedDescription)")
        }
        return "\(temporaryDirectory)/\(UUID().uuidString.lowercased()).part"
    }

    /// Flushes a finished upload to disk and moves it to `relative`. Blocking: call it off the event loops.
    public func install(_ temporary: String, as relative: String) throws(StoreError) {
        let fd = open(temporary, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot open upload: \(String(cString: strerror(errno)))") }
        let synced = fsync(fd) == 0
        close(fd)
        guard synced else { throw StoreError(.unavailable, "cannot flush upload: \(String(cString: strerror(errno)))") }
        let target = absolute(relative)
        let directory = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(.unavailable, "cannot create \(directory): \(error.localizedDescription)")
        }
        guard rename(temporary, target) == 0 else {
            throw StoreError(.unavailable, "cannot store upload: \(String(cString: strerror(errno)))")
        }
    }

    /// Removes a blob (or an abandoned upload); a missing file is fine.
    public func remove(_ relative: String) {
        unlink(absolute(relative))
    }

    public func removeTemporary(_ path: String) {
        unlink(path)
    }

    /// Removes uploads left behind by a crash, older than `age` seconds.
    public func sweepTemporary(olderThan age: TimeInterval = 24 * 3600) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporaryDirectory) else { return }
        let cutoff = Date().addingTimeInterval(-age)
        for name in names where name.hasSuffix(".part") {
            let path = "\(temporaryDirectory)/\(name)"
            if let modified = (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date,
               modified < cutoff {
                unlink(path)
            }
        }
    }
}
