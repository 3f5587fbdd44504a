import Foundation
import GyreConfig
import GyreModel
import Testing

/// Runs the compiler over the reference configs (copies of
/// `../shared/reference/config-samples/`, kept in `Tests/Fixtures/config-samples`
/// so the suite needs nothing outside the repository). Full conformance is a later issue; for now
/// every file must give a plan or well-formed errors, and nothing may crash.
@Suite("Reference config samples")
struct ReferenceSampleTests {
    static let samplesDirectory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // GyreConfigTests
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("Fixtures/config-samples")
        .standardizedFileURL

    static func sampleFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: samplesDirectory, includingPropertiesForKeys: nil)
            .filter { ["yml", "yaml", "json"].contains($0.pathExtension) }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    static func checkWellFormed(_ yaml: String, name: String) {
        do {
            let plan = try ConfigCompiler().compile(yaml: yaml)
            #expect(!plan.workflows.isEmpty, "\(name): a plan without workflows")
        } catch {
            #expect(!error.errors.isEmpty, "\(name): errors thrown but none listed")
            for problem in error.errors {
                #expect(!problem.message.isEmpty, "\(name): empty message")
                #expect(!problem.path.isEmpty || problem.code == .syntax, "\(name): no path for \(problem)")
            }
        }
    }

    @Test func everySampleGivesAPlanOrErrorsWithPaths() throws {
        let files = try Self.sampleFiles()
        #expect(files.count >= 20, "samples not found in \(Self.samplesDirectory.path)")
        for file in files {
            let text = try String(contentsOf: file, encoding: .utf8)
            Self.checkWellFormed(text, name: file.lastPathComponent)
            do {
                _ = try ConfigCompiler().compile(yaml: text)
            } catch {
                // Samples are valid YAML (JSON is YAML), so nothing is a syntax error.
                #expect(!error.errors.contains { $0.code == .syntax }, "\(file.lastPathComponent): \(error)")
            }
        }
    }

    @Test func negativeSamplesAreRejected() throws {
        for file in try Self.sampleFiles() where file.lastPathComponent.hasPrefix("negative_test__") {
            let text = try String(contentsOf: file, encoding: .utf8)
            #expect(throws: ConfigErrors.self, "\(file.lastPathComponent)") {
                try ConfigCompiler().compile(yaml: text)
            }
        }
    }

    /// Every prefix and a sweep of one-character corruptions of each sample:
    /// garbage in, errors out, never a crash.
    @Test func truncatedAndCorruptedSamplesNeverCrash() throws {
        let corruptions: [Character] = [":", "-", " ", "\t", "\"", "&", "*", "[", "{", "#", "\n", "<", "!", "|", "\u{0}"]
        for file in try Self.sampleFiles() {
            let text = Array(try String(contentsOf: file, encoding: .utf8))
            let name = file.lastPathComponent
            for end in stride(from: 0, through: text.count, by: 3) {
                Self.checkWellFormed(String(text[..<end]), name: "\(name) prefix \(end)")
            }
            for (offset, position) in stride(from: 0, to: text.count, by: 7).enumerated() {
                var corrupted = text
                corrupted[position] = corruptions[offset % corruptions.count]
                Self.checkWellFormed(String(corrupted), name: "\(name) corrupted at \(position)")
            }
        }
    }
}
