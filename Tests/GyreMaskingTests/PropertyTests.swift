import Testing
@testable import GyreMasking

@Suite("Streaming equals masking the whole output")
struct PropertyTests {
    /// Small alphabets make overlaps, repeats and partial matches common.
    static let secretAlphabet: [String] = ["a", "b", "c", "/", "\"", " ", "\n", "+", "é"]
    static let outputBytes: [UInt8] = bytes("abc/\" \n+") + [0xFF, 0x00]

    static func randomCase(seed: UInt64) -> (secrets: [String], output: [UInt8], splits: [Int]) {
        var rng = SeededGenerator(seed: seed)
        let longSecrets = seed % 3 == 0 // window 8+: the 4-byte-block scan
        let secrets = (0..<Int.random(in: 1...4, using: &rng)).map { _ -> String in
            let length = longSecrets ? Int.random(in: 8...14, using: &rng) : Int.random(in: 2...8, using: &rng)
            return (0..<length).map { _ in secretAlphabet.randomElement(using: &rng)! }.joined()
        }
        let patterns = SecretMasker(secrets: secrets).patterns
        let large = seed % 10 == 0
        let target = large ? Int.random(in: 1500...4000, using: &rng) : Int.random(in: 0...160, using: &rng)
        var output: [UInt8] = []
        while output.count < target {
            let roll = Int.random(in: 0..<10, using: &rng)
            if roll < 3, let pattern = patterns.randomElement(using: &rng) {
                output += pattern // a whole secret form
            } else if roll < 5, let pattern = patterns.randomElement(using: &rng) {
                output += pattern.prefix(Int.random(in: 1...pattern.count, using: &rng)) // a near miss
            } else {
                for _ in 0..<Int.random(in: 1...6, using: &rng) { output.append(outputBytes.randomElement(using: &rng)!) }
            }
        }
        // Random split points (including empty chunks and single bytes).
        var splits: [Int] = []
        var position = 0
        while position < output.count {
            let step = Int.random(in: 0...9, using: &rng) == 0 ? 0 : Int.random(in: 1...(large ? 2500 : 12), using: &rng)
            position = min(output.count, position + step)
            splits.append(position)
        }
        return (secrets, output, splits)
    }

    @Test func streamingMatchesReferenceOnRandomCases() async {
        var failures = 0
        var masking = 0 // cases where something was replaced
        var holding = 0 // cases where some feed held bytes back
        for seed in UInt64(1)...3000 {
            // Long and CPU-bound in a debug build: let the other tests have the (two) cooperative threads now and then.
            if seed % 50 == 0 { await Task.yield() }
            let (secrets, output, splits) = Self.randomCase(seed: seed)
            let masker = SecretMasker(secrets: secrets)
            let expected = referenceMask(output, patterns: masker.patterns, final: true).output

            // One piece.
            let whole = masker.mask(output)
            // Random chunks, checking after each feed that exactly the
            // reference's output so far was emitted and exactly its undecided
            // tail is held back.
            var stream = MaskingStream(masker: masker)
            var emitted: [UInt8] = []
            var previous = 0
            var incrementalOK = true
            var sawHold = false
            for split in splits {
                emitted += stream.feed(Array(output[previous..<split]))
                previous = split
                if output.count <= 200 || split == splits.last {
                    let reference = referenceMask(Array(output[..<split]), patterns: masker.patterns, final: false)
                    if emitted != reference.output || stream.heldBackCount != split - reference.consumed {
                        incrementalOK = false
                    }
                }
                if stream.heldBackCount > 0 { sawHold = true }
                if stream.heldBackCount > max(0, masker.maxPatternLength - 1) { incrementalOK = false }
            }
            emitted += stream.finish()
            if expected != output { masking += 1 }
            if sawHold { holding += 1 }

            let ok = whole == expected && emitted == expected && incrementalOK && stream.heldBackCount == 0
            if !ok {
                failures += 1
                if failures <= 3 {
                    Issue.record("seed \(seed): secrets \(secrets.debugDescription), output \(output), splits \(splits)")
                }
            }
        }
        #expect(failures == 0)
        // The generator must exercise both masking and holding back.
        #expect(masking > 2000)
        #expect(holding > 1000)
    }

    @Test func benchmarkLikeSecretsMatchReference() async {
        // Realistic secrets (all forms present) over realistic and noisy text.
        var rng = SeededGenerator(seed: 42)
        let alphabet = bytes("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~")
        let secrets = (0..<30).map { _ in
            String(decoding: (0..<Int.random(in: 8...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }, as: UTF8.self)
        }
        let masker = SecretMasker(secrets: secrets)
        #expect(masker.patternCount > 30 * 5)
        var output: [UInt8] = []
        for _ in 0..<400 {
            for _ in 0..<Int.random(in: 0...120, using: &rng) { output.append(alphabet.randomElement(using: &rng)!) }
            let pattern = masker.patterns.randomElement(using: &rng)!
            output += Int.random(in: 0..<4, using: &rng) == 0 ? Array(pattern.dropLast()) : pattern
            output.append(0x0A)
        }
        let expected = referenceMask(output, patterns: masker.patterns, final: true).output
        #expect(masker.mask(output) == expected)
        for chunkSize in [1, 7, 64, 1000, 5000] {
            var chunks: [[UInt8]] = []
            var offset = 0
            while offset < output.count {
                let end = min(output.count, offset + chunkSize)
                chunks.append(Array(output[offset..<end]))
                offset = end
            }
            #expect(streamed(masker, chunks) == expected, "chunk size \(chunkSize)")
        }
    }
}
