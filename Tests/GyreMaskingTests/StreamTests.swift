import Foundation
import Testing
@testable import GyreMasking

@Suite("Masking stream")
struct StreamTests {
    let secret = "s3cr3tValue"

    @Test func splitAcrossTwoChunksAtEverySplitPoint() {
        let masker = SecretMasker(secrets: [secret])
        let output = bytes("before \(secret) after\n")
        let expected = bytes("before ******** after\n")
        for split in 0...output.count {
            let result = streamed(masker, [Array(output[..<split]), Array(output[split...])])
            #expect(result == expected, "split at \(split)")
        }
    }

    @Test func oneBytePerChunk() {
        let masker = SecretMasker(secrets: [secret, "other-secret-42"])
        let output = bytes("a \(secret) b other-secret-42\(secret) c s3cr3 end")
        let chunks = output.map { [$0] }
        #expect(streamed(masker, chunks) == bytes("a ******** b **************** c s3cr3 end"))
    }

    @Test func overlappingSecretsLongestWins() {
        #expect(masked(["abcdef12", "abcdef12ghij"], "xx abcdef12ghij xx") == "xx ******** xx")
        #expect(masked(["abcdef12", "abcdef12ghij"], "xx abcdef12ghi xx") == "xx ********ghi xx")
        // Leftmost wins over a longer one starting later; scanning resumes after it.
        #expect(masked(["abcdefgh", "efghijklmnop"], "abcdefghijklmnop") == "********ijklmnop")
    }

    @Test func overlappingSecretsLongestWinsWhenStreamed() {
        let masker = SecretMasker(secrets: ["abcdef12", "abcdef12ghij"])
        var stream = MaskingStream(masker: masker)
        // "abcdef12" is a full match but the longer one may still follow: held.
        #expect(stream.feed(bytes("xx abcdef12")) == bytes("xx "))
        #expect(stream.heldBackCount == 8)
        #expect(stream.feed(bytes("gh")) == [])
        #expect(stream.feed(bytes("ij!")) == bytes("********!"))
        #expect(stream.finish() == [])
    }

    @Test func adjacentSecrets() {
        #expect(masked(["abcd1234", "wxyz5678"], "abcd1234wxyz5678abcd1234") == "************************")
        #expect(masked(["abcd1234"], "abcd1234 abcd1234") == "******** ********")
    }

    @Test func chunkEndingInNewlineHoldsNothing() {
        let masker = SecretMasker(secrets: [secret])
        var stream = MaskingStream(masker: masker)
        let chunk = bytes("compiling module 3 of 7\n")
        #expect(stream.feed(chunk) == chunk)
        #expect(stream.heldBackCount == 0)
    }

    @Test func chunkEndingInFirstThreeBytesOfSecretHoldsExactlyThose() {
        let masker = SecretMasker(secrets: [secret])
        var stream = MaskingStream(masker: masker)
        #expect(stream.feed(bytes("hello s3c")) == bytes("hello "))
        #expect(stream.heldBackCount == 3)
        #expect(stream.feed(bytes("r3tValue done\n")) == bytes("******** done\n"))
        #expect(stream.heldBackCount == 0)
    }

    @Test func heldBackNeverExceedsLongestPatternMinusOne() {
        let masker = SecretMasker(secrets: [secret])
        var stream = MaskingStream(masker: masker)
        // A run of repeated possible starts: only the last candidate is held.
        _ = stream.feed(bytes("s3cs3cs3cs3cs3cr3tVal"))
        #expect(stream.heldBackCount == bytes("s3cr3tVal").count)
        #expect(stream.heldBackCount <= masker.maxPatternLength - 1)
    }

    @Test func finishFlushesHeldBytes() {
        let masker = SecretMasker(secrets: [secret])
        var stream = MaskingStream(masker: masker)
        #expect(stream.feed(bytes("tail s3cr3tVal")) == bytes("tail "))
        #expect(stream.finish() == bytes("s3cr3tVal"))
        #expect(stream.heldBackCount == 0)
        #expect(stream.finish() == [])
    }

    @Test func finishMasksAFullMatchThatWasWaitingForALongerOne() {
        let masker = SecretMasker(secrets: ["abcd1234", "abcd1234XYZW"])
        var stream = MaskingStream(masker: masker)
        #expect(stream.feed(bytes("go abcd1234XY")) == bytes("go "))
        #expect(stream.finish() == bytes("********XY"))
    }

    @Test func emptyMaskerIsANoOp() {
        let masker = SecretMasker(secrets: [])
        #expect(masker.isEmpty)
        #expect(masker.patternCount == 0)
        #expect(masker.memoryFootprint == 0)
        var stream = MaskingStream(masker: masker)
        let chunk: [UInt8] = [0x61, 0xFF, 0x0A, 0x00]
        #expect(stream.feed(chunk) == chunk)
        #expect(stream.heldBackCount == 0)
        #expect(stream.finish() == [])
        #expect(masker.mask("anything at all") == "anything at all")
    }

    @Test func nonUTF8BytesInOutput() {
        let masker = SecretMasker(secrets: [secret])
        let output: [UInt8] = [0xFF, 0xFE, 0x80] + bytes(secret) + [0xC3, 0x28, 0xFF] + bytes(secret) + [0xF8]
        let expected: [UInt8] = [0xFF, 0xFE, 0x80] + stars + [0xC3, 0x28, 0xFF] + stars + [0xF8]
        #expect(masker.mask(output) == expected)
        #expect(streamed(masker, output.map { [$0] }) == expected)
    }

    @Test func nonASCIISecret() {
        #expect(masked(["pässwörd"], "x pässwörd y") == "x ******** y")
    }

    @Test func longInputUsesAllLanesAndMasksEverywhere() {
        // Long enough for the interleaved scan lanes; secrets at lane seams.
        let masker = SecretMasker(secrets: [secret, "Zq9!kP2#mW"])
        var output: [UInt8] = []
        var expected: [UInt8] = []
        for i in 0..<2000 {
            let filler = bytes("line \(i) of the build log\n")
            output += filler
            expected += filler
            if i % 37 == 0 {
                output += bytes(i % 2 == 0 ? secret : "Zq9!kP2#mW")
                expected += stars
            }
        }
        #expect(masker.mask(output) == expected)
        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < output.count {
            let end = min(output.count, offset + 4093)
            chunks.append(Array(output[offset..<end]))
            offset = end
        }
        #expect(streamed(masker, chunks) == expected)
    }

    @Test func maskerIsSendable() async {
        let masker = SecretMasker(secrets: [secret])
        let result = await Task.detached { masker.mask("x \(secret)") }.value
        #expect(result == "x ********")
    }
}

@Suite("Benchmark support")
struct BenchmarkTests {
    @Test func compiledMaskerForAHundredSecretsIsSmall() {
        let masker = SecretMasker(secrets: MaskingBenchmark.sampleSecrets(count: 100))
        #expect(masker.patternCount > 300)
        #expect(masker.memoryFootprint > 0)
        #expect(masker.memoryFootprint < 1 << 20)
    }

    @Test func syntheticLogCarriesSecretsOnlyWhereAsked() {
        let secrets = MaskingBenchmark.sampleSecrets(count: 100)
        let masker = SecretMasker(secrets: secrets)
        var rng = SplitMix64(seed: 1)
        let clean = MaskingBenchmark.syntheticLog(size: 200_000, lineLength: 80, secrets: secrets, secretEvery: nil, rng: &rng)
        #expect(masker.mask(clean) == clean)
        let dirty = MaskingBenchmark.syntheticLog(size: 200_000, lineLength: 80, secrets: secrets, secretEvery: 100, rng: &rng)
        let lines = dirty.filter { $0 == 0x0A }.count
        let masks = String(decoding: masker.mask(dirty), as: UTF8.self).components(separatedBy: "********").count - 1
        #expect(masks == lines / 100)
    }

    @Test func measureReportsThroughputAndPatterns() {
        let result = MaskingBenchmark.measure(secretCount: 10, lineLength: 80, totalBytes: 1 << 20, secretEvery: 5)
        #expect(result.bytesPerSecond > 0)
        #expect(result.patterns == SecretMasker(secrets: MaskingBenchmark.sampleSecrets(count: 10)).patternCount)
    }
}
