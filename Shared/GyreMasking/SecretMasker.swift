/// The compiled set of secret patterns for one job.
///
/// Build it once per job from every secret value the job can see; it is an
/// immutable value, cheap to copy and safe to share between the job's steps
/// and threads. Each step masks its output through its own ``MaskingStream``.
///
/// The patterns are, for each value of 4 or more bytes:
/// - the value itself, and for a multi-line value each of its lines of 4+ bytes
///   (`\n` and `\r\n` both count as line breaks);
/// - its base64 encoding with and without `=` padding, the parts of it that
///   stay fixed inside a longer base64 text at each of the three byte
///   alignments, and all of those in the URL-safe alphabet (`-_`);
/// - its percent-encoding (every byte but `A-Za-z0-9-._~`) with upper- and
///   lowercase hex, with space as `%20` and as `+`;
/// - its JSON string escaping (`\"`, `\\`, control characters as `\n \r \t
///   \b \f` or `\u00XX`), with and without `/` escaped as `\/`.
///
/// Identical patterns are kept once. Values shorter than 4 bytes are ignored.
public struct SecretMasker: Sendable {
    /// The compiled matcher; `nil` when there is nothing to mask.
    let matcher: PatternMatcher?

    /// Compiles the patterns for `secrets` (the job's secret values).
    public init(secrets: [String]) {
        self.init(patterns: SecretForms.patterns(for: secrets))
    }

    /// Compiles an explicit pattern list (distinct, each of 4+ bytes).
    init(patterns: [[UInt8]]) {
        matcher = patterns.isEmpty ? nil : PatternMatcher(patterns: patterns)
    }

    /// `true` when there are no patterns: masking returns its input unchanged.
    public var isEmpty: Bool { matcher == nil }

    /// The number of distinct byte patterns searched for.
    public var patternCount: Int { matcher?.lengths.count ?? 0 }

    /// The distinct patterns, in the order they were derived.
    var patterns: [[UInt8]] {
        guard let matcher else { return [] }
        return zip(matcher.starts, matcher.lengths).map { start, length in
            Array(matcher.bytes[Int(start)..<Int(start + length)])
        }
    }

    /// The length of the longest pattern; a stream never holds back more than
    /// one byte less than this.
    public var maxPatternLength: Int { matcher?.maxLength ?? 0 }

    /// Approximate heap bytes of the compiled search tables.
    public var memoryFootprint: Int { matcher?.memoryFootprint ?? 0 }

    /// Masks a complete output in one go (same result as streaming it).
    public func mask(_ bytes: [UInt8]) -> [UInt8] {
        var stream = MaskingStream(masker: self)
        var out = stream.feed(bytes)
        out.append(contentsOf: stream.finish())
        return out
    }

    /// Masks a complete string (for messages and summaries rather than logs).
    public func mask(_ text: String) -> String {
        if isEmpty { return text }
        return String(decoding: mask(Array(text.utf8)), as: UTF8.self)
    }
}
