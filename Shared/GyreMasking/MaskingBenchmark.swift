/// A self-contained throughput measurement of ``MaskingStream``, for
/// `gyre bench`. It prints nothing.
public enum MaskingBenchmark {
    /// Masks synthetic build output and reports the throughput of `feed`.
    ///
    /// Builds `secretCount` random secrets (8–40 bytes of letters, digits and
    /// symbols, so every encoded form exists), a synthetic log of lines of
    /// `lineLength` bytes (including the `\n`), split into chunks of
    /// `chunkSize`, and times feeding `totalBytes` of it through one stream
    /// (the log is repeated if shorter; `finish` is included). Building the
    /// masker and the log is not timed.
    ///
    /// - Parameter secretEvery: when set, every `secretEvery`-th line carries a
    ///   secret in the middle (alternately raw and base64-encoded); otherwise
    ///   the output contains none.
    /// - Returns: bytes masked per second, and the number of patterns in force.
    public static func measure(
        secretCount: Int,
        lineLength: Int,
        totalBytes: Int,
        chunkSize: Int = 65536,
        secretEvery: Int? = nil
    ) -> (bytesPerSecond: Double, patterns: Int) {
        var rng = SplitMix64(seed: seed)
        let secrets = (0..<max(0, secretCount)).map { _ in randomSecret(&rng) }
        let masker = SecretMasker(secrets: secrets)

        let corpusSize = max(1, min(totalBytes, 16 << 20))
        let corpus = syntheticLog(
            size: corpusSize, lineLength: max(1, lineLength), secrets: secrets,
            secretEvery: secretEvery, rng: &rng)
        let step = max(1, chunkSize)
        var chunks: [[UInt8]] = []
        var offset = 0
        while offset < corpus.count {
            let end = min(corpus.count, offset + step)
            chunks.append(Array(corpus[offset..<end]))
            offset = end
        }

        var sink = 0
        // Warm up caches and the allocator.
        var warm = MaskingStream(masker: masker)
        for chunk in chunks.prefix(4) { sink &+= warm.feed(chunk).count }
        sink &+= warm.finish().count

        let clock = ContinuousClock()
        let start = clock.now
        var stream = MaskingStream(masker: masker)
        var fed = 0
        outer: while true {
            for chunk in chunks {
                sink &+= stream.feed(chunk).count
                fed += chunk.count
                if fed >= totalBytes { break outer }
            }
        }
        sink &+= stream.finish().count
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        if sink == Int.min { return (0, masker.patternCount) } // keeps the work observable
        return (Double(fed) / max(seconds, 1e-9), masker.patternCount)
    }

    static let seed: UInt64 = 0x6779_7265_6D61_736B

    /// The random secrets ``measure(secretCount:lineLength:totalBytes:chunkSize:secretEvery:)``
    /// masks (deterministic: the same for the same `count`).
    public static func sampleSecrets(count: Int) -> [String] {
        var rng = SplitMix64(seed: seed)
        return (0..<max(0, count)).map { _ in randomSecret(&rng) }
    }

    static let secretAlphabet: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&()*+,-./:;<=>?@[]^_{|}~".utf8)

    static func randomSecret(_ rng: inout SplitMix64) -> String {
        let length = 8 + Int(rng.next() % 33)
        let bytes = (0..<length).map { _ in secretAlphabet[Int(rng.next() % UInt64(secretAlphabet.count))] }
        return String(decoding: bytes, as: UTF8.self)
    }

    static let words: [[UInt8]] = [
        "Compiling", "Building", "Linking", "warning:", "error:", "note:", "[INFO]", "[DEBUG]",
        "Downloading", "Resolved", "test", "passed", "failed", "in", "the", "of", "at", "with",
        "Sources/App/main.swift:42:17:", "make[2]:", "Entering", "directory", "/usr/lib/x86_64-linux-gnu",
        "200", "OK", "GET", "https://example.com/api/v1/items", "ms", "--release", "-O", "npm", "cargo",
        "2024-05-01T12:34:56Z", "done.", "step", "exit", "code", "0",
    ].map { Array($0.utf8) }

    static let tokenAlphabet: [UInt8] = Array("abcdefghijklmnopqrstuvwxyz0123456789".utf8)

    /// Log-like lines: a mix of common words and random short tokens.
    static func syntheticLog(size: Int, lineLength: Int, secrets: [String], secretEvery: Int?, rng: inout SplitMix64) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(size + lineLength)
        var lineNumber = 0
        var secretIndex = 0
        while out.count < size {
            let lineStart = out.count
            let content = lineLength - 1
            while out.count - lineStart < content {
                if rng.next() % 10 < 6 {
                    out.append(contentsOf: words[Int(rng.next() % UInt64(words.count))])
                } else {
                    let length = 2 + Int(rng.next() % 9)
                    for _ in 0..<length { out.append(tokenAlphabet[Int(rng.next() % UInt64(tokenAlphabet.count))]) }
                }
                out.append(0x20)
            }
            out.removeLast(out.count - lineStart - content)
            lineNumber += 1
            if let every = secretEvery, every > 0, lineNumber % every == 0, !secrets.isEmpty {
                let secret = Array(secrets[secretIndex % secrets.count].utf8)
                let form = secretIndex % 2 == 0 ? secret : SecretForms.base64(secret, padded: true)
                secretIndex += 1
                let at = lineStart + max(0, (content - form.count) / 2)
                let end = min(out.count, at + form.count)
                out.replaceSubrange(at..<end, with: form[0..<(end - at)])
                if end - at < form.count { out.append(contentsOf: form[(end - at)...]) }
                out.append(0x20)
            }
            out.append(0x0A)
        }
        return out
    }
}

/// A small, fast, seedable generator (SplitMix64) for reproducible data.
struct SplitMix64: RandomNumberGenerator, Sendable {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
