import CGyreSystem
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
        var fds: [Int32] = [0, 0]
        guard gyre_pipe_cloexec(&fds) == 0 else { throw Spawn.Failure(description: "cannot create a pipe") }
        let (readEnd, writeEnd) = (fds[0], fds[1])
        let pid: pid_t
        do {
            pid = try Spawn.start([executable] + arguments, environment: environment, directory: directory, outputFD: writeEnd)
        } catch {
            close(readEnd)
            close(writeEnd)
            throw error
        }
        close(writeEnd)
        let handle = ProcessHandle(pid: pid)
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result, Never>) in
                let thread = Thread {
                    var collected: [UInt8] = []
                    var buffer = [UInt8](repeating: 0, count: 65536)
                    while true {
                        let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
                        if count < 0 && errno == EINTR { continue }
                        if count <= 0 { break }
                        let chunk = Array(buffer[0..<count])
                        if collect { collected.append(contentsOf: chunk) }
                        onOutput?(chunk)
                    }
                    close(readEnd)
                    let code = Spawn.wait(pid)
                    handle.exited()
                    continuation.resume(returning: Result(exitCode: code, output: collected, wasTerminated: handle.terminated))
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

/// Lets another task stop a running process and everything it started.
public final class ProcessHandle: Sendable {
    private let pid: pid_t
    private let state = Mutex((terminated: false, exited: false))

    init(pid: pid_t) {
        self.pid = pid
    }

    var terminated: Bool { state.withLock { $0.terminated } }

    func exited() {
        state.withLock { $0.exited = true }
    }

    /// Sends SIGKILL to the process's session (it was started with setsid).
    public func terminate() {
        let alive = state.withLock { state -> Bool in
            state.terminated = true
            return !state.exited
        }
        if alive {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
    }
}
