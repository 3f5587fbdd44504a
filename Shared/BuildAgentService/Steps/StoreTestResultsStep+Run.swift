import Foundation
import GyreModel

extension StoreTestResultsStep {
    /// Uploads a JUnit XML file, or every `*.xml` under a directory.
    func run(in context: StepContext) async throws {
        let source = context.shell.resolve(path)
        guard let kind = try await context.kind(of: source) else {
            context.say("No test results found at \(source); nothing uploaded")
            return
        }
        let copy = context.scratchFile("tests")
        try await context.copyOut(source, kind: kind, to: copy)
        let files = StepContext.files(under: copy).filter { kind != "d" || $0.lowercased().hasSuffix(".xml") }
        guard !files.isEmpty else {
            context.say("No *.xml test result files found under \(source); nothing uploaded")
            return
        }
        var tests = 0
        for file in files {
            let count = try await context.storage.uploadTestResults(job: context.ownerJob, node: context.job.nodeIndex,
                                                                    name: file, file: "\(copy)/\(file)")
            context.say("Uploaded \(file): \(count) test(s)")
            tests += count
        }
        context.say("Found \(tests) test(s) in \(files.count) file(s)")
    }
}
