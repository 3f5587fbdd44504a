import Foundation
import GyreModel
import GyreStore
import Synchronization

/// The period files under the storage directory: `audit-logs/audit_log/v1/<start>.json`.
struct AuditFiles: Sendable {
    let root: String

    func absolute(_ relative: String) -> String { "\(root)/\(relative)" }

    /// A sink that writes `relative` as a JSON array: first to a temporary
    /// file beside it, flushed and renamed into place by `finish()`.
    func sink(for relative: String) -> JSONArrayFileSink {
        JSONArrayFileSink(path: absolute(relative))
    }
}

struct AuditFileError: Error, CustomStringConvertible {
    var description: String
}

/// Writes events as a JSON array, one event at a time (used by one task at a time).
final class JSONArrayFileSink: AuditFileSink {
    let path: String
    let temporary: String
    /// The temporary file's descriptor (-1: none) and how many events it holds.
    private let state = Mutex<(fd: Int32, count: Int)>((-1, 0))

    init(path: String) {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        temporary = "\(directory)/.\((path as NSString).lastPathComponent).\(UUID().uuidString.lowercased()).part"
    }

    func begin() throws {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw AuditFileError(description: "cannot create \(directory): \(error.localizedDescription)")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw AuditFileError(description: "cannot write \(temporary): \(String(cString: strerror(errno)))")
        }
        state.withLock { $0 = (fd, 0) }
        try put("[")
    }

    func write(_ event: AuditEvent) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = String(decoding: try encoder.encode(event), as: UTF8.self)
        let first = state.withLock { state -> Bool in
            defer { state.count += 1 }
            return state.count == 0
        }
        try put((first ? "\n" : ",\n") + json)
    }

    func finish() throws {
        try put("\n]\n")
        let fd = take()
        guard fd >= 0 else { throw AuditFileError(description: "\(temporary) is not open") }
        let flushed = fsync(fd) == 0
        close(fd)
        guard flushed, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw AuditFileError(description: "cannot store \(path): \(reason)")
        }
        // The rename itself is durable once the directory is flushed.
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_CLOEXEC)
        if directory >= 0 {
            fsync(directory)
            close(directory)
        }
    }

    func discard() {
        let fd = take()
        if fd >= 0 {
            close(fd)
            unlink(temporary)
        }
    }

    private func take() -> Int32 {
        state.withLock { state in
            defer { state.fd = -1 }
            return state.fd
        }
    }

    private func put(_ text: String) throws {
        let fd = state.withLock { $0.fd }
        guard fd >= 0 else { throw AuditFileError(description: "\(temporary) is not open") }
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                throw AuditFileError(description: "cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            bytes = bytes.dropFirst(written)
        }
    }
}
