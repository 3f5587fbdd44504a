import ArgumentParser
import Foundation
import GyreLocal
import GyreMasking

/// Step-output ingest: a host job prints `ingestMB` megabytes (as 1 MB lines,
/// then as 80-byte lines) through the whole path (the agent reads and masks
/// it, RabbitMQ carries it, the output-processor stores it and feeds the live
/// tail), with 100 project secrets in force and with none. The figure is the
/// bytes stored over the time from the trigger to the job reading finished
/// (a job finishes only once all of its output is stored).
extension Bench {
    struct IngestCase {
        var label: String
        var lineBytes: Int
        var secrets: Int
    }

    func ingest(_ client: APIClient, system: LocalSystem, repos: String) async throws {
        let total = ingestMB * 1_048_576
        print("\nstep-output ingest: \(ingestMB) MB printed by one host job, through agent → RabbitMQ → output-processor")
        // The masker alone, on this machine (what the agent adds per byte).
        for lineBytes in [1_048_576, 80] {
            let (rate, patterns) = MaskingBenchmark.measure(secretCount: 100, lineLength: lineBytes, totalBytes: 64 * 1_048_576)
            print("  masker alone, 100 secrets (\(patterns) patterns), \(Self.lineLabel(lineBytes)): "
                  + "\(String(format: "%.0f", rate / 1_048_576)) MB/s")
        }
        let cases = [IngestCase(label: "masking on (100 secrets)", lineBytes: 1_048_576, secrets: 100),
                     IngestCase(label: "masking on (100 secrets)", lineBytes: 80, secrets: 100),
                     IngestCase(label: "no secrets", lineBytes: 1_048_576, secrets: 0),
                     IngestCase(label: "no secrets", lineBytes: 80, secrets: 0)]
        for test in cases {
            let name = "ingest-\(test.secrets)-\(test.lineBytes)"
            let file = "\(repos)/\(name).txt"
            try Self.writeOutput(to: file, lineBytes: test.lineBytes, total: total)
            let slug = "gh/bench/\(name)"
            try SampleRepository.create(at: "\(repos)/\(name)", files: [".circleci/config.yml": """
                version: 2.1
                jobs:
                  print:
                    machine: true
                    resource_class: gyre/host
                    steps:
                      - run: cat \(file)
                workflows:
                  bench:
                    jobs: [print]
                """])
            _ = try await client.follow(slug, vcsURL: "file://\(repos)/\(name)")
            var generator = SystemRandomNumberGenerator()
            for index in 0..<test.secrets {
                let length = Int.random(in: 8...40, using: &generator)
                let value = String((0..<length).map { _ in Self.alphabet.randomElement(using: &generator)! })
                _ = try await client.send("POST", "api/v2/project/\(slug)/envvar", body: ["name": "BENCH_SECRET_\(index)", "value": value])
            }
            let cpuBefore = system.cpuSeconds()
            let start = Date()
            let created = try await client.trigger(slug)
            let outcome = try await client.wait(for: created.id, timeout: .seconds(600), poll: .milliseconds(20))
            let elapsed = Date().timeIntervalSince(start)
            let cpuAfter = system.cpuSeconds()
            guard outcome.status == "success", let number = outcome.workflows.first?.jobs.first?.job_number else {
                throw ValidationError("the ingest job did not succeed: \(outcome.status)")
            }
            let stored = try await client.steps(slug, job: number, output: false).first { $0.type != "setup" }.map(Self.storedBytes) ?? 0
            func cpu(_ service: String) -> Double { (cpuAfter[service] ?? 0) - (cpuBefore[service] ?? 0) }
            print("  \(test.label), \(Self.lineLabel(test.lineBytes)): "
                  + "\(String(format: "%.0f", Double(stored) / 1_048_576 / max(elapsed, 0.001))) MB/s "
                  + "(\(stored == Int64(total) ? "all \(total) bytes stored" : "STORED \(stored) OF \(total) BYTES") in "
                  + "\(String(format: "%.2f", elapsed)) s; CPU: build-agent \(String(format: "%.2f", cpu("build-agent"))) s, "
                  + "output-processor \(String(format: "%.2f", cpu("output-processor"))) s)")
            try? FileManager.default.removeItem(atPath: file)
        }
    }

    static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.+/=!@")

    static func lineLabel(_ bytes: Int) -> String { bytes >= 1_048_576 ? "1 MB lines" : "\(bytes)-byte lines" }

    static func storedBytes(_ step: APIClient.Step) -> Int64 { step.output_bytes ?? 0 }

    /// `total` bytes of printable text in lines of `lineBytes` (newline included), none of it a secret.
    static func writeOutput(to path: String, lineBytes: Int, total: Int) throws {
        var line = [UInt8]()
        line.reserveCapacity(lineBytes)
        let text = Array("the quick brown fox jumps over the lazy dog 0123456789 ".utf8)
        while line.count < lineBytes - 1 { line.append(text[line.count % text.count]) }
        line.append(UInt8(ascii: "\n"))
        var chunk = [UInt8]()
        while chunk.count < 4 * 1_048_576 { chunk += line }
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw ValidationError("cannot create \(path)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var written = 0
        while written < total {
            let count = min(chunk.count, total - written)
            try handle.write(contentsOf: chunk[0..<count])
            written += count
        }
    }
}
