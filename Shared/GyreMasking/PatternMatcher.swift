/// The compiled multi-pattern matcher: a Wu–Manber scan over bytes.
///
/// Every pattern is at least 4 bytes long. Let `m` be the shortest pattern
/// length (capped at ``maximumWindow``); only the first `m` bytes of each
/// pattern take part in the skip test. A window of `m` bytes slides over the
/// input; the block of `B` bytes (`B` = 3 or 4) that ends the window is hashed
/// into ``shifts``, which says how far the window can move without passing the
/// start of any pattern. A shift of 0 means some pattern's first `m` bytes may
/// start at the window: its candidates are found in a small hash bucket, filtered
/// on their first 4 bytes and verified byte by byte, longest first.
///
/// The skip loop runs as four interleaved lanes over quarters of the input and
/// only records where patterns start (phase 1); the rare events are then
/// resolved in order (phase 2): matching is leftmost, then longest; a match is
/// consumed whole and scanning resumes right after it. Resolution stops at the
/// first reachable position where the rest of the input is a proper prefix of
/// some pattern: those bytes are held back until more input (or the end of the
/// step) decides them.
struct PatternMatcher: Sendable {
    /// The longest window (and so the largest skip) the scan uses.
    static let maximumWindow = 64

    /// Window length `m`: the shortest pattern length, capped.
    let window: Int
    /// Bits dropped from a little-endian 4-byte load ending at the window end,
    /// leaving the last `B` bytes.
    let blockDrop: UInt32
    /// `32 - log2(shifts.count)`.
    let hashShift: UInt32
    /// Skip distance per hashed block; 0 marks a possible pattern start.
    let shifts: [UInt8]

    let bucketMask: Int
    /// Bucket `b` holds `bucketEntries[bucketStart[b] ..< bucketStart[b + 1]]`.
    let bucketStart: [Int32]
    /// Pattern indices, longest first within each bucket.
    let bucketEntries: [Int32]

    /// All pattern bytes, concatenated.
    let bytes: [UInt8]
    let starts: [Int32]
    let lengths: [Int32]
    /// The first 4 bytes of each pattern, loaded little-endian.
    let prefixes: [UInt32]
    /// Pattern indices in lexicographic byte order (for prefix queries).
    let sorted: [Int32]
    /// Bitmaps of the first byte and of the first two bytes of the patterns.
    let firstByte: [UInt64]
    let firstPair: [UInt64]

    let maxLength: Int

    /// Builds the tables. `patterns` must be non-empty, distinct, each of 4+ bytes.
    init(patterns: [[UInt8]]) {
        precondition(!patterns.isEmpty && patterns.allSatisfy { $0.count >= 4 })
        let minLength = patterns.lazy.map(\.count).min()!
        maxLength = patterns.lazy.map(\.count).max()!
        let m = min(minLength, Self.maximumWindow)
        window = m
        let block = m >= 8 ? 4 : 3
        blockDrop = UInt32(8 * (4 - block))

        // Size the shift table to keep it sparse: ~1/16 occupied, 2^10 ... 2^17.
        let blockEntries = patterns.count * (m - block + 1)
        var bits = 10
        while bits < 17 && (1 << bits) < blockEntries * 16 { bits += 1 }
        hashShift = UInt32(32 - bits)
        var shifts = [UInt8](repeating: UInt8(m - block + 1), count: 1 << bits)

        var buckets = 16
        while buckets < patterns.count * 2 { buckets <<= 1 }
        bucketMask = buckets - 1

        var bytes: [UInt8] = []
        var starts: [Int32] = []
        var lengths: [Int32] = []
        var prefixes: [UInt32] = []
        var firstByte = [UInt64](repeating: 0, count: 4)
        var firstPair = [UInt64](repeating: 0, count: 1024)
        var bucketOf: [Int] = []
        let hs = hashShift
        let drop = blockDrop
        for pattern in patterns {
            starts.append(Int32(bytes.count))
            lengths.append(Int32(pattern.count))
            bytes.append(contentsOf: pattern)
            prefixes.append(UInt32(pattern[0]) | UInt32(pattern[1]) << 8 | UInt32(pattern[2]) << 16 | UInt32(pattern[3]) << 24)
            firstByte[Int(pattern[0] >> 6)] |= 1 << UInt64(pattern[0] & 63)
            let pair = Int(pattern[0]) | Int(pattern[1]) << 8
            firstPair[pair >> 6] |= 1 << UInt64(pair & 63)
            // Blocks ending at q = 3 ... m-1 (the 4-byte load ending at q).
            for q in 3..<m {
                let v = (UInt32(pattern[q - 3]) | UInt32(pattern[q - 2]) << 8 | UInt32(pattern[q - 1]) << 16 | UInt32(pattern[q]) << 24) >> drop
                let h = Int((v &* Self.hashMultiplier) >> hs)
                let shift = UInt8(m - 1 - q)
                if shift < shifts[h] { shifts[h] = shift }
                if q == m - 1 { bucketOf.append(h & (buckets - 1)) }
            }
            // With B = 3 the block ending at q = 2 also lies in the window.
            if block == 3 {
                let v = UInt32(pattern[0]) | UInt32(pattern[1]) << 8 | UInt32(pattern[2]) << 16
                let h = Int((v &* Self.hashMultiplier) >> hs)
                let shift = UInt8(m - 3)
                if shift < shifts[h] { shifts[h] = shift }
            }
        }
        self.shifts = shifts
        self.bytes = bytes
        self.starts = starts
        self.lengths = lengths
        self.prefixes = prefixes
        self.firstByte = firstByte
        self.firstPair = firstPair

        // Buckets in CSR form, longest pattern first inside each bucket.
        let order = patterns.indices.sorted { a, b in
            bucketOf[a] != bucketOf[b] ? bucketOf[a] < bucketOf[b] : patterns[a].count > patterns[b].count
        }
        var bucketStart = [Int32](repeating: 0, count: buckets + 1)
        for index in patterns.indices { bucketStart[bucketOf[index] + 1] += 1 }
        for b in 0..<buckets { bucketStart[b + 1] += bucketStart[b] }
        self.bucketStart = bucketStart
        self.bucketEntries = order.map { Int32($0) }
        self.sorted = patterns.indices.sorted { patterns[$0].lexicographicallyPrecedes(patterns[$1]) }.map { Int32($0) }
    }

    static let hashMultiplier: UInt32 = 0x9E37_79B1

    /// Approximate heap bytes held by the tables.
    var memoryFootprint: Int {
        shifts.count + bucketStart.count * 4 + bucketEntries.count * 4 + bytes.count
            + starts.count * 4 + lengths.count * 4 + prefixes.count * 4 + sorted.count * 4
            + (firstByte.count + firstPair.count) * 8
    }

    // MARK: Scanning

    enum Outcome {
        case none
        case match(Int)
        case partial
    }

    /// A position where a pattern (or a possible pattern) starts.
    struct Event {
        var position: Int
        /// Length of the longest pattern matching there, or -1 when a longer
        /// pattern runs past the end of the input with all available bytes
        /// matching (the outcome depends on input not seen yet).
        var length: Int
    }

    /// Number of independent scan lanes interleaved in the skip loop. The loop
    /// is bound by the latency of its load → hash → table load → add chain;
    /// running several windows side by side hides it. (The loop in
    /// ``findStarts(_:count:starts:final:into:)`` is written out for four.)
    static let laneCount = 4
    /// Inputs shorter than this are scanned with a single lane.
    static let laneThreshold = 1024

    /// Scans `input`, appending the masked form of the bytes it consumes to `out`
    /// — but only once a match is found: while `matched` is false, `out` is
    /// untouched and the consumed bytes are to be emitted as they are.
    ///
    /// Phase 1 finds every position where a pattern starts (the skip loop);
    /// phase 2 resolves them leftmost-longest, greedily, and finds the tail to
    /// hold back.
    ///
    /// - Parameter final: no more input follows; nothing is held back.
    /// - Returns: how many bytes were consumed (the rest must be held back and
    ///   rescanned with the next input) and whether anything was replaced.
    func scan(_ input: UnsafeBufferPointer<UInt8>, final: Bool, into out: inout [UInt8]) -> (consumed: Int, matched: Bool) {
        let n = input.count
        guard n > 0, let base = input.baseAddress else { return (0, false) }
        let raw = UnsafeRawPointer(base)
        let m = window
        // Window starts with a full window: [0, starts).
        let starts = max(0, n - m + 1)
        var events: [Event] = []
        if starts > 0 {
            findStarts(raw, count: n, starts: starts, final: final, into: &events)
        }

        var emitFrom = 0
        var matched = false
        var consumed = n
        var holding = false
        for event in events where event.position >= emitFrom {
            if event.length < 0 {
                consumed = event.position
                holding = true
                break
            }
            if !matched {
                matched = true
                out.reserveCapacity(n + 64)
            }
            out.append(contentsOf: UnsafeBufferPointer(start: base + emitFrom, count: event.position - emitFrom))
            out.append(contentsOf: maskBytes)
            emitFrom = event.position + event.length
        }
        if !holding && !final {
            // Positions with fewer than `m` bytes left: hold from the first one
            // whose remainder is a proper prefix of some pattern.
            var j = max(starts, emitFrom)
            while j < n {
                if isPatternPrefix(raw + j, count: n - j) {
                    consumed = j
                    break
                }
                j += 1
            }
        }
        if matched {
            out.append(contentsOf: UnsafeBufferPointer(start: base + emitFrom, count: consumed - emitFrom))
        }
        return (consumed, matched)
    }

    /// Phase 1: the Wu–Manber skip loop over window starts `[0, starts)`,
    /// appending an event for every position where a pattern starts, in order.
    func findStarts(_ raw: UnsafeRawPointer, count n: Int, starts: Int, final: Bool, into events: inout [Event]) {
        let m = window
        let drop = blockDrop
        let hs = hashShift
        let lanes = starts >= Self.laneThreshold ? Self.laneCount : 1
        // Lane k covers window starts [k·q, (k+1)·q) (the last lane runs to
        // `starts`); `eK` is its window end index (start + m - 1) and `lK` the
        // window end of the next lane's first start. A lane may read past its
        // range (the data is there) but records only starts inside it, so the
        // lanes' events concatenate in position order.
        var lanesEvents = [[Event]](repeating: [], count: lanes)
        shifts.withUnsafeBufferPointer { table in
            let st = table.baseAddress!
            @inline(__always)
            func advance(_ e: inout Int, _ lane: Int) {
                let v = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: e &- 3, as: UInt32.self)) >> drop
                let h = Int(truncatingIfNeeded: (v &* Self.hashMultiplier) >> hs)
                let s = Int(st[h])
                if s != 0 {
                    e &+= s
                } else {
                    probe(raw, start: e &- m &+ 1, count: n, hash: h, final: final, into: &lanesEvents[lane])
                    e &+= 1
                }
            }
            if lanes == 1 {
                var e = m - 1
                let limit = starts + m - 1
                while e < limit { advance(&e, 0) }
                return
            }
            let q = starts / 4
            var e0 = m - 1, e1 = q + m - 1, e2 = 2 * q + m - 1, e3 = 3 * q + m - 1
            let l0 = e1, l1 = e2, l2 = e3, l3 = starts + m - 1
            while e0 < l0 && e1 < l1 && e2 < l2 && e3 < l3 {
                advance(&e0, 0)
                advance(&e1, 1)
                advance(&e2, 2)
                advance(&e3, 3)
            }
            while e0 < l0 { advance(&e0, 0) }
            while e1 < l1 { advance(&e1, 1) }
            while e2 < l2 { advance(&e2, 2) }
            while e3 < l3 { advance(&e3, 3) }
        }
        for laneEvents in lanesEvents where !laneEvents.isEmpty {
            events.append(contentsOf: laneEvents)
        }
    }

    /// Records the outcome at a window start whose end block has a zero shift.
    @inline(never)
    func probe(_ raw: UnsafeRawPointer, start: Int, count n: Int, hash: Int, final: Bool, into events: inout [Event]) {
        switch candidates(raw, start: start, count: n, hash: hash, final: final) {
        case .none: break
        case .match(let length): events.append(Event(position: start, length: length))
        case .partial: events.append(Event(position: start, length: -1))
        }
    }

    /// Checks the patterns that may start at `start` (whose window block hashed
    /// to `hash`), longest first.
    @inline(never)
    func candidates(_ text: UnsafeRawPointer, start: Int, count n: Int, hash: Int, final: Bool) -> Outcome {
        let bucket = hash & bucketMask
        let head = UInt32(littleEndian: text.loadUnaligned(fromByteOffset: start, as: UInt32.self))
        let available = n - start
        return bucketEntries.withUnsafeBufferPointer { entries in
            prefixes.withUnsafeBufferPointer { prefixes in
                lengths.withUnsafeBufferPointer { lengths in
                    starts.withUnsafeBufferPointer { starts in
                        bytes.withUnsafeBufferPointer { bytes in
                            var i = Int(bucketStart[bucket])
                            let end = Int(bucketStart[bucket + 1])
                            while i < end {
                                let p = Int(entries[i])
                                i += 1
                                guard prefixes[p] == head else { continue }
                                let length = Int(lengths[p])
                                let pattern = UnsafeRawPointer(bytes.baseAddress! + Int(starts[p]))
                                if length <= available {
                                    if equalBytes(text + start + 4, pattern + 4, length - 4) { return .match(length) }
                                } else if !final {
                                    if equalBytes(text + start + 4, pattern + 4, available - 4) { return .partial }
                                }
                            }
                            return .none
                        }
                    }
                }
            }
        }
    }

    /// Whether the `count` bytes at `text` are a prefix of some pattern
    /// (`count` < `window`, so such a prefix is always a proper one).
    func isPatternPrefix(_ text: UnsafeRawPointer, count: Int) -> Bool {
        let b0 = Int(text.load(as: UInt8.self))
        guard firstByte[b0 >> 6] & (1 << UInt64(b0 & 63)) != 0 else { return false }
        if count == 1 { return true }
        let pair = b0 | Int(text.load(fromByteOffset: 1, as: UInt8.self)) << 8
        guard firstPair[pair >> 6] & (1 << UInt64(pair & 63)) != 0 else { return false }
        if count == 2 { return true }
        return bytes.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!
            // Lower bound: first pattern (in byte order) not less than the query.
            var low = 0
            var high = sorted.count
            while low < high {
                let mid = (low + high) / 2
                let p = Int(sorted[mid])
                if compare(base + Int(starts[p]), Int(lengths[p]), text, count) < 0 { low = mid + 1 } else { high = mid }
            }
            guard low < sorted.count else { return false }
            let p = Int(sorted[low])
            return Int(lengths[p]) >= count && equalBytes(UnsafeRawPointer(base + Int(starts[p])), text, count)
        }
    }
}

/// The replacement for every occurrence of a secret.
let maskBytes: [UInt8] = Array("********".utf8)

/// Byte equality of two ranges of `count` bytes.
@inline(__always)
func equalBytes(_ a: UnsafeRawPointer, _ b: UnsafeRawPointer, _ count: Int) -> Bool {
    var i = 0
    while i &+ 8 <= count {
        if a.loadUnaligned(fromByteOffset: i, as: UInt64.self) != b.loadUnaligned(fromByteOffset: i, as: UInt64.self) { return false }
        i &+= 8
    }
    while i < count {
        if a.load(fromByteOffset: i, as: UInt8.self) != b.load(fromByteOffset: i, as: UInt8.self) { return false }
        i &+= 1
    }
    return true
}

/// Lexicographic comparison of two byte strings: negative, zero or positive.
func compare(_ a: UnsafePointer<UInt8>, _ aCount: Int, _ b: UnsafeRawPointer, _ bCount: Int) -> Int {
    let common = min(aCount, bCount)
    var i = 0
    while i < common {
        let x = a[i]
        let y = b.load(fromByteOffset: i, as: UInt8.self)
        if x != y { return x < y ? -1 : 1 }
        i += 1
    }
    return aCount - bCount
}
