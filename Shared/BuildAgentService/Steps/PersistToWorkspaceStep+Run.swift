import Foundation
import GyreModel

extension PersistToWorkspaceStep {
    /// Archives `paths` (globs, relative to `root`) as this job's workspace layer.
    func run(in context: StepContext) async throws {
        let base = context.shell.resolve(root)
        // The shell expands the globs (one pattern a line, so spaces stay inside a pattern).
        let script = """
            cd "$1" || exit 3; shift; IFS='
            '; for pattern; do for f in $pattern; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\\n' "$f"; fi; done; done
            """
        let (code, stdout) = try await context.capture(["/bin/sh", "-c", script, "gyre-persist", base] + paths)
        if code == 3 { throw StepFailure("the workspace root \(base) does not exist in the job") }
        guard code == 0 else { throw StepFailure("cannot expand the paths under \(base) (exit \(code))") }
        var matched: [String] = []
        for line in String(decoding: stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        where !matched.contains(line) {
            matched.append(line)
        }
        guard !matched.isEmpty else {
            throw StepFailure("The specified paths did not match any files in \(base): \(paths.joined(separator: ", "))")
        }
        let archive = context.scratchFile("layer.tar.gz")
        try await context.archive(matched, base: base, to: archive)
        let size = StepContext.size(archive)
        context.say("Creating workspace layer of \(matched.count) path(s) in \(base) (\(StepContext.human(size)))")
        try await context.storage.uploadLayer(workflow: context.job.workflowId, job: context.ownerJob,
                                              node: context.job.nodeIndex, step: context.position, file: archive)
        context.say("Persisted \(matched.joined(separator: ", ")) to the workspace")
    }
}
