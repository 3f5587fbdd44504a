import Foundation

/// Creates a git repository with given files on `main` (for the sample
/// pipeline, the benchmark and tests). Re-creating replaces it.
public enum SampleRepository {
    public static func create(at path: String, files: [String: String], branch: String = "main") throws {
        try? FileManager.default.removeItem(atPath: path)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        for (name, content) in files {
            let file = "\(path)/\(name)"
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try content.write(toFile: file, atomically: true, encoding: .utf8)
        }
        try git(["init", "--quiet", "--initial-branch", branch], in: path)
        try git(["add", "--all"], in: path)
        try git(["-c", "user.name=Gyre", "-c", "user.email=gyre@localhost", "commit", "--quiet", "-m", "sample"], in: path)
    }

    /// Adds a commit changing `files` on the current branch.
    public static func commit(at path: String, files: [String: String], message: String = "change") throws {
        for (name, content) in files {
            let file = "\(path)/\(name)"
            try FileManager.default.createDirectory(atPath: (file as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            try content.write(toFile: file, atomically: true, encoding: .utf8)
        }
        try git(["add", "--all"], in: path)
        try git(["-c", "user.name=Gyre", "-c", "user.email=gyre@localhost", "commit", "--quiet", "-m", message], in: path)
    }

    static func git(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw LocalSystemError("git \(arguments.first ?? "") failed in \(directory)")
        }
    }
}
