import Foundation
import GyreModel

extension StoreArtifactsStep {
    /// Uploads a file, or every file under a directory, one artifact per file.
    func run(in context: StepContext) async throws {
        let source = context.shell.resolve(path)
        guard let kind = try await context.kind(of: source) else {
            context.say("No artifact files found at \(source); nothing uploaded")
            return
        }
        let copy = context.scratchFile("artifacts")
        try await context.copyOut(source, kind: kind, to: copy)
        let prefix = Self.clean(destination ?? path)
        let files = StepContext.files(under: copy)
        for file in files {
            let name: String
            if kind == "d" {
                name = prefix.isEmpty ? file : "\(prefix)/\(file)"
            } else {
                name = prefix.isEmpty ? file : prefix
            }
            context.say("Uploading \(kind == "d" ? "\(source)/\(file)" : source) to \(name)")
            try await context.storage.uploadArtifact(job: context.ownerJob, node: context.job.nodeIndex, path: name,
                                                     file: "\(copy)/\(file)")
        }
        context.say("Uploaded \(files.count) artifact file(s)")
    }

    /// An artifact path without `~/`, leading or trailing slashes.
    static func clean(_ path: String) -> String {
        var text = Substring(path)
        if text.hasPrefix("~/") { text = text.dropFirst(2) } else if text == "~" { text = "" }
        if text.hasPrefix("./") { text = text.dropFirst(2) }
        while text.hasPrefix("/") { text = text.dropFirst() }
        while text.hasSuffix("/") { text = text.dropLast() }
        return text == "." ? "" : String(text)
    }
}
