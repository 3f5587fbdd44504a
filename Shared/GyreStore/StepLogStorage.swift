import Foundation

/// Step output on disk (the seeds' "None" storage): one file per step of each
/// attempt, `<root>/jobs/<job id>/<attempt>/<step index>.log`. Chunks are
/// written at their offset, so writing the same chunk twice changes nothing.
public struct StepLogStorage: Sendable {
    public let root: String

    public init(root: String) {
        self.root = root
    }

    public func path(job: UUID, attempt: Int, step: Int) -> String {
        "\(root)/jobs/\(job.uuidString.lowercased())/\(attempt)/\(step).log"
    }

    /// Writes `bytes` at `offset` and flushes them to disk before returning.
    public func write(job: UUID, attempt: Int, step: Int, offset: Int64, bytes: [UInt8], sync: Bool = true) throws(StoreError) {
        let file = path(job: job, attempt: attempt, step: step)
        var fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        if fd < 0 && errno == ENOENT {
            try? FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                     withIntermediateDirectories: true)
            fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0o644)
        }
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot open step log: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                pwrite(fd, buffer.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
            }
            guard result > 0 else { throw StoreError(.unavailable, "cannot write step log: \(String(cString: strerror(errno)))") }
            written += result
        }
        if sync && fdatasync(fd) != 0 {
            throw StoreError(.unavailable, "cannot flush step log: \(String(cString: strerror(errno)))")
        }
    }

    /// Bytes stored for a step so far (0 when none).
    public func size(job: UUID, attempt: Int, step: Int) -> Int64 {
        var info = stat()
        guard stat(path(job: job, attempt: attempt, step: step), &info) == 0 else { return 0 }
        return Int64(info.st_size)
    }

    /// Flushes a step log's written data to disk.
    public func flush(job: UUID, attempt: Int, step: Int) throws(StoreError) {
        let fd = open(path(job: job, attempt: attempt, step: step), O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError(.unavailable, "cannot open step log: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard fdatasync(fd) == 0 else {
            throw StoreError(.unavailable, "cannot flush step log: \(String(cString: strerror(errno)))")
        }
    }

    /// The step's output so far from byte `offset` (empty when there is none yet), at most `limit` bytes.
    public func read(job: UUID, attempt: Int, step: Int, offset: UInt64 = 0, limit: Int = 64 << 20) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path(job: job, attempt: attempt, step: step)) else { return [] }
        defer { try? handle.close() }
        if offset > 0 { guard (try? handle.seek(toOffset: offset)) != nil else { return [] } }
        return Array((try? handle.read(upToCount: limit)) ?? Data())
    }
}
