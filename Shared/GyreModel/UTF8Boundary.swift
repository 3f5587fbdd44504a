/// Where text can be cut without splitting a UTF-8 character.
public enum UTF8Boundary {
    /// How many bytes at the end of `bytes` begin a UTF-8 sequence that is not complete (0 when the end is whole;
    /// malformed bytes count as whole, so a broken log never holds its reader back).
    public static func incompleteTail(_ bytes: [UInt8]) -> Int {
        var count = 0
        for byte in bytes.reversed().prefix(4) {
            count += 1
            if byte & 0xC0 == 0x80 { continue } // a continuation byte: look further back
            let length = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : byte >= 0xC0 ? 2 : 1
            return length > count ? count : 0
        }
        return 0
    }
}
