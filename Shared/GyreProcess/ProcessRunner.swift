import Foundation
import Synchronization

/// Runs a program, streaming its combined stdout and stderr as it is produced.
public struct ProcessRunner: Sendable {
    public struct Result: Sendable {
        public var exitCode: Int32
        /// The whole output, when `collect` was asked for.
        public var output: [UInt8]
        /// True when the process was stopped by `ProcessHandle.terminate` or the timeout.
        public var wasTerminated: Bool

        public var text: String { String(decoding: output, as: UTF8.self) }
    }

    public init() {}

    /// Starts `executable` with `arguments`; `onOutput` receives chunks in order
    /// on a background thread. Returns when the process has exited and all its
    /// output was delivered. Cancelling the calling task kills the process.
    public func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                    directory: String? = nil, collect: Bool = true,
                    onOutput: (@Sendable ([UInt8]) -> Void)? = nil) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let handle = ProcessHandle(process: process)

        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Result, Error>) in
                do {
                    try process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                try? pipe.fileHandleForWriting.close()
                let fd = pipe.fileHandleForReading.fileDescriptor
                let thread = Thread {
                    var collected: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                        if count < 0 && errno == EINTR { continue }
                        if count <= 0 { break }
                        let chunk = Array(buffer[0..<count])
                        if collect { collected.append(contentsOf: chunk) }
                        onOutput?(chunk)
                    }
                    process.waitUntilExit()
                    try? pipe.fileHandleForReading.close()
                    continuation.resume(returning: Result(exitCode: process.terminationStatus, output: collected,
                                                          wasTerminated: handle.terminated))
                }
                thread.start()
            }
        } onCancel: {
            handle.terminate()
        }
    }

    /// Looks `name` up on PATH (or returns it if it is a path already).
    public static func locate(_ name: String) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}

/// Lets another task stop a running process.
public final class ProcessHandle: Sendable {
    private let process: UncheckedProcess
    private let state = Mutex(false)

    init(process: Process) {
        self.process = UncheckedProcess(process: process)
    }

    var terminated: Bool { state.withLock { $0 } }

    /// Sends SIGKILL to the process (and, when it leads one, its process group).
    public func terminate() {
        state.withLock { $0 = true }
        let pid = process.process.processIdentifier
        if pid > 0 {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
    }
}

/// Process is not Sendable; we only read its pid across threads.
private struct UncheckedProcess: @unchecked Sendable {
    let process: Process
}
