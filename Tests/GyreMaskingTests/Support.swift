@testable import GyreMasking

/// The bytes of a string.
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// The masked form of `text`, masked in one piece.
func masked(_ secrets: [String], _ text: String) -> String {
    SecretMasker(secrets: secrets).mask(text)
}

/// Streams `chunks` through a fresh stream and returns the concatenated output.
func streamed(_ masker: SecretMasker, _ chunks: [[UInt8]]) -> [UInt8] {
    var stream = MaskingStream(masker: masker)
    var out: [UInt8] = []
    for chunk in chunks { out += stream.feed(chunk) }
    out += stream.finish()
    return out
}

let stars = bytes("********")

/// The obviously-correct masker: at each position, if (when more input may
/// follow) the rest of the input is a proper prefix of some pattern, stop and
/// hold it back; otherwise replace the longest pattern that matches there, or
/// copy one byte. Returns the output and how many input bytes were consumed.
func referenceMask(_ input: [UInt8], patterns: [[UInt8]], final: Bool) -> (output: [UInt8], consumed: Int) {
    var out: [UInt8] = []
    var i = 0
    while i < input.count {
        let rest = input[i...]
        if !final && patterns.contains(where: { $0.count > rest.count && $0.starts(with: rest) }) {
            return (out, i)
        }
        var best = 0
        for pattern in patterns where pattern.count > best && rest.starts(with: pattern) {
            best = pattern.count
        }
        if best > 0 {
            out += stars
            i += best
        } else {
            out.append(input[i])
            i += 1
        }
    }
    return (out, input.count)
}

/// SplitMix64 (the library's), so that random tests reproduce from their seed.
typealias SeededGenerator = SplitMix64
