import Foundation
import GyreModel
import GyreProtocol
import Testing

/// The compact body of job event batches (raw output bytes after a JSON header) and the JSON one.
@Suite struct JobEventBatchCodecTests {
    let job = UUID()

    func batch() -> JobEventBatch {
        JobEventBatch(events: [
            JobEvent(jobId: job, attempt: 2, at: 1, kind: .stepStarted(index: 1, name: "build", kind: "run")),
            JobEvent(jobId: job, attempt: 2, at: 2, kind: .output(index: 1, offset: 0, data: Data("hello\n".utf8))),
            JobEvent(jobId: job, attempt: 2, at: 3, kind: .output(index: 1, offset: 6, data: Data([0, 255, 10, 13]))),
            JobEvent(jobId: job, attempt: 2, at: 4, kind: .output(index: 1, offset: 10, data: Data())),
            JobEvent(jobId: job, attempt: 2, at: 5, kind: .stepFinished(index: 1, status: .success, exitCode: 0, bytes: 10)),
            JobEvent(jobId: job, attempt: 2, at: 6, kind: .jobFinished(status: .success, message: nil, steps: 1)),
        ])
    }

    @Test func theCompactFormRoundTripsAndCarriesOutputAsRawBytes() throws {
        let body = batch().compactEncoded()
        #expect(Array(body.prefix(4)) == Array("GYEB".utf8))
        #expect(try JobEventBatch.decode(body) == batch())
        // The output bytes are in the body as they are (no base64).
        #expect(body.suffix(10) == ArraySlice(Array("hello\n".utf8) + [0, 255, 10, 13]))
        // With real output, a quarter fewer bytes than base64 in JSON.
        let big = JobEventBatch(events: [JobEvent(jobId: job, attempt: 1, at: 1,
                                                  kind: .output(index: 1, offset: 0, data: Data(repeating: 65, count: 30_000)))])
        #expect(Double(big.compactEncoded().count) < Double(MessageCodec.encode(big).count) * 0.8)
    }

    @Test func theJSONFormStillDecodes() throws {
        #expect(try JobEventBatch.decode(MessageCodec.encode(batch())) == batch())
    }

    @Test func aCutOrPaddedBodyIsRefused() {
        let body = batch().compactEncoded()
        #expect(throws: (any Error).self) { _ = try JobEventBatch.decode(Array(body.dropLast())) }
        #expect(throws: (any Error).self) { _ = try JobEventBatch.decode(body + [1]) }
        #expect(throws: (any Error).self) { _ = try JobEventBatch.decode(Array(body.prefix(10))) }
    }
}
