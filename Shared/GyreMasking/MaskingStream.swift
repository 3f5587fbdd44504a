/// Masks one step's output as it arrives, chunk by chunk.
///
/// Feed every chunk in order and emit what ``feed(_:)`` returns, then emit
/// what ``finish()`` returns when the step ends. The concatenation is exactly
/// the output masked as a whole, however it was split into chunks: every
/// occurrence of a pattern becomes `********` (leftmost match first, the
/// longest pattern at that position, scanning on after it).
///
/// To keep live logs live, the stream holds back only the shortest possible
/// tail: the longest suffix of the unprocessed input that is a proper prefix of
/// some pattern — never more than ``SecretMasker/maxPatternLength`` − 1 bytes.
public struct MaskingStream: Sendable {
    /// The patterns this stream masks.
    public let masker: SecretMasker
    /// Input not decided yet (a possible start of a secret).
    private var held: [UInt8] = []

    /// Starts a stream for one step.
    public init(masker: SecretMasker) {
        self.masker = masker
    }

    /// The number of bytes currently held back.
    public var heldBackCount: Int { held.count }

    /// Takes the next chunk of output and returns the masked bytes that are
    /// safe to emit now. With no patterns, returns `bytes` unchanged.
    public mutating func feed(_ bytes: [UInt8]) -> [UInt8] {
        guard let matcher = masker.matcher else { return bytes }
        if held.isEmpty {
            return process(bytes, matcher, final: false)
        }
        if bytes.isEmpty { return [] }
        var buffer = held
        held = []
        buffer.append(contentsOf: bytes)
        return process(buffer, matcher, final: false)
    }

    /// Ends the step: returns the held-back bytes, masked.
    public mutating func finish() -> [UInt8] {
        guard let matcher = masker.matcher, !held.isEmpty else { return [] }
        let buffer = held
        held = []
        return process(buffer, matcher, final: true)
    }

    private mutating func process(_ buffer: [UInt8], _ matcher: PatternMatcher, final: Bool) -> [UInt8] {
        var out: [UInt8] = []
        let (consumed, matched) = buffer.withUnsafeBufferPointer {
            matcher.scan($0, final: final, into: &out)
        }
        if consumed < buffer.count {
            held = Array(buffer[consumed...])
        }
        if matched { return out }
        return consumed == buffer.count ? buffer : Array(buffer[..<consumed])
    }
}
