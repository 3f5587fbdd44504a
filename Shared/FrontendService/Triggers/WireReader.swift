/// SSH wire format: uint32 big-endian lengths before strings.
struct WireReader {
    let bytes: [UInt8]
    var position: Int

    mutating func uint32() -> Int? {
        guard position + 4 <= bytes.count else { return nil }
        let value = bytes[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
        position += 4
        return value
    }

    mutating func string() -> [UInt8]? {
        guard let length = uint32(), length <= bytes.count - position else { return nil }
        defer { position += length }
        return Array(bytes[position..<position + length])
    }

    static func append(string: [UInt8], to blob: inout [UInt8]) {
        let count = UInt32(string.count)
        blob += [UInt8(count >> 24), UInt8(count >> 16 & 0xff), UInt8(count >> 8 & 0xff), UInt8(count & 0xff)]
        blob += string
    }
}
