import Hummingbird
@testable import OutputProcessorService
import Testing

/// The upload size limit: a body that grows past it fails while streaming,
/// so a too-large upload is refused without being stored whole.
@Suite struct LimitedBodyTests {
    static func body(_ sizes: [Int]) -> AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            for size in sizes { continuation.yield(ByteBuffer(repeating: 0x61, count: size)) }
            continuation.finish()
        }
    }

    static func drain(_ sizes: [Int], limit: Int64) async throws -> Int {
        var total = 0
        for try await buffer in LimitedBody(base: body(sizes), limit: limit) { total += buffer.readableBytes }
        return total
    }

    @Test func aBodyUpToTheLimitPassesWhole() async throws {
        #expect(try await Self.drain([4, 4, 2], limit: 10) == 10)
        #expect(try await Self.drain([], limit: 10) == 0)
    }

    @Test func aBodyPastTheLimitFails() async throws {
        await #expect(throws: UploadTooLarge.self) { try await Self.drain([4, 4, 3], limit: 10) }
        await #expect(throws: UploadTooLarge.self) { try await Self.drain([11], limit: 10) }
    }

    @Test func theTooLargeAnswerIs413AndNamesTheSetting() {
        let receiver = UploadReceiver(files: .init(root: "/nonexistent"), maxBytes: 10)
        let error = receiver.tooLarge()
        #expect(error.status == .contentTooLarge)
        #expect(error.message.contains("GYRE_STORAGE_MAX_UPLOAD_BYTES"))
    }
}
