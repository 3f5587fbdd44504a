/// Just enough DER: definite-length TLVs read in order.
struct DERReader {
    let bytes: [UInt8]
    var position = 0

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The content of the next element if its tag is `tag`.
    mutating func next(tag: UInt8) -> [UInt8]? {
        guard position + 2 <= bytes.count, bytes[position] == tag else { return nil }
        var index = position + 1
        var length = Int(bytes[index])
        index += 1
        if length & 0x80 != 0 {
            let octets = length & 0x7f
            guard octets >= 1, octets <= 4, index + octets <= bytes.count else { return nil }
            length = bytes[index..<index + octets].reduce(0) { $0 << 8 | Int($1) }
            index += octets
        }
        guard length <= bytes.count - index else { return nil }
        position = index + length
        return Array(bytes[index..<index + length])
    }
}
