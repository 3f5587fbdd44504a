import GyreModel
import Testing

@Suite struct UTF8BoundaryTests {
    @Test func everyCutOfMultiByteTextKeepsWholeCharacters() {
        let text = Array("aé€😀z✓".utf8)
        for cut in 0...text.count {
            let prefix = Array(text[..<cut])
            let whole = prefix.count - UTF8Boundary.incompleteTail(prefix)
            // What is kept decodes without a replacement character, and nothing whole is held back.
            #expect(String(validating: prefix[..<whole], as: UTF8.self) != nil, "cut at \(cut)")
            let next = String(decoding: text[whole...], as: UTF8.self)
            #expect(String(decoding: prefix[..<whole], as: UTF8.self) + next == "aé€😀z✓", "cut at \(cut)")
        }
    }

    @Test func wholeAndMalformedEndsHoldNothingBack() {
        #expect(UTF8Boundary.incompleteTail([]) == 0)
        #expect(UTF8Boundary.incompleteTail(Array("abc".utf8)) == 0)
        #expect(UTF8Boundary.incompleteTail([0xE2, 0x82]) == 2)
        #expect(UTF8Boundary.incompleteTail([0xF0]) == 1)
        // Stray continuation bytes (not after a lead byte within 4) are passed on.
        #expect(UTF8Boundary.incompleteTail([0x80, 0x80, 0x80, 0x80]) == 0)
    }
}
