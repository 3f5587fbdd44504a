/// Finds the lines of a log that contain a term (ASCII letters compared without case), reading the log in
/// chunks so that a log of any size is searched in bounded memory.
public struct LogSearch: Sendable {
    public struct Match: Sendable, Equatable {
        /// Where the line starts in the log, in bytes.
        public var offset: UInt64
        /// The line's number, from 1.
        public var line: Int
        /// The line (without its newline), at most ``LogSearch/maxLineBytes`` of it.
        public var text: [UInt8]
    }

    public static let maxLineBytes = 500
    public let term: [UInt8]
    public let limit: Int
    public private(set) var matches: [Match] = []
    /// More lines matched than `limit`.
    public private(set) var truncated = false
    private var lineStart: UInt64 = 0
    private var lineNumber = 1
    private var pending: [UInt8] = []
    private var read: UInt64 = 0

    public init(term: String, limit: Int = 200) {
        self.term = Array(term.utf8).map(Self.fold)
        self.limit = limit
    }

    static func fold(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }

    /// Feeds the next bytes of the log.
    public mutating func feed(_ bytes: some Collection<UInt8>) {
        for byte in bytes {
            read += 1
            if byte == 10 {
                finishLine()
                lineStart = read
                lineNumber += 1
            } else {
                pending.append(byte)
            }
        }
    }

    /// Ends the log (its last line may have no newline).
    public mutating func finish() {
        if !pending.isEmpty { finishLine() }
    }

    public var isFull: Bool { truncated }

    private mutating func finishLine() {
        defer { pending.removeAll(keepingCapacity: true) }
        guard !term.isEmpty, pending.count >= term.count, contains(pending) else { return }
        guard matches.count < limit else { truncated = true; return }
        matches.append(Match(offset: lineStart, line: lineNumber, text: Array(pending.prefix(Self.maxLineBytes))))
    }

    private func contains(_ line: [UInt8]) -> Bool {
        let first = term[0]
        var i = 0
        let last = line.count - term.count
        while i <= last {
            if Self.fold(line[i]) == first {
                var j = 1
                while j < term.count && Self.fold(line[i + j]) == term[j] { j += 1 }
                if j == term.count { return true }
            }
            i += 1
        }
        return false
    }
}
