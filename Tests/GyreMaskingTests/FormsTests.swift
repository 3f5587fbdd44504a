import Foundation
import Testing
@testable import GyreMasking

@Suite("Secret forms")
struct FormsTests {
    @Test func rawValueIsMasked() {
        #expect(masked(["hunter22"], "password is hunter22 ok") == "password is ******** ok")
        #expect(masked(["hunter22"], "hunter22hunter22") == "****************")
    }

    @Test func valuesShorterThanFourBytesAreNotMasked() {
        let masker = SecretMasker(secrets: ["abc", "", "xy"])
        #expect(masker.isEmpty)
        #expect(masker.patternCount == 0)
        #expect(masker.mask("abc xy abc") == "abc xy abc")
        // Exactly four bytes is masked.
        #expect(masked(["abcd"], "xx abcd yy") == "xx ******** yy")
    }

    @Test func multiLineValuePrintedLineByLine() {
        let secret = "line-one\nline-two\r\nxy\nline-four"
        let output = "> line-one\n> line-two\n> xy\n> line-four\n"
        #expect(masked([secret], output) == "> ********\n> ********\n> xy\n> ********\n")
    }

    @Test func multiLineValuePrintedWhole() {
        let secret = "line-one\nline-two\r\nxy\nline-four"
        // The whole value is the longest pattern at its start: one mask.
        #expect(masked([secret], "key: " + secret + "\n") == "key: ********\n")
        // Its short line survives only outside the value.
        #expect(masked([secret], "xy line-two") == "xy ********")
    }

    @Test func multiLineLinesAreAlsoPatterns() {
        let masker = SecretMasker(secrets: ["first-line\r\nsecond-line\nab"])
        #expect(masker.patterns.contains(bytes("first-line")))
        #expect(masker.patterns.contains(bytes("second-line")))
        #expect(!masker.patterns.contains(bytes("first-line\r")))
        #expect(!masker.patterns.contains(bytes("ab")))
        #expect(masker.patterns.contains(bytes("first-line\r\nsecond-line\nab")))
    }

    @Test func base64PaddedAndUnpadded() {
        let secret = "abcdefgh" // 8 bytes: base64 needs one `=`
        let padded = Data(secret.utf8).base64EncodedString()
        #expect(padded == "YWJjZGVmZ2g=")
        #expect(masked([secret], "v=\(padded);") == "v=********;")
        #expect(masked([secret], "v=YWJjZGVmZ2g;") == "v=********;")
        let seven = "abcdefg" // two `=`
        let padded7 = Data(seven.utf8).base64EncodedString()
        #expect(padded7.hasSuffix("=="))
        #expect(masked([seven], "[\(padded7)]") == "[********]")
        #expect(masked([seven], "[\(padded7.dropLast(2))]") == "[********]")
    }

    @Test func base64FormsAreExactlyTheExpectedSet() {
        let masker = SecretMasker(secrets: ["abcdefgh"])
        let expected: Set<[UInt8]> = [
            "abcdefgh", "YWJjZGVmZ2g=", "YWJjZGVmZ2g",
            "YWJjZGVmZ2", "FiY2RlZmdo", "hYmNkZWZna", // the three aligned inner forms
        ].reduce(into: []) { $0.insert(bytes($1)) }
        #expect(Set(masker.patterns) == expected)
        #expect(masker.patternCount == 6) // nothing duplicated
    }

    @Test(arguments: [0, 1, 2])
    func base64InsideLongerTextAtEachAlignment(prefixLength: Int) {
        for secret in ["s3cr3t-token-10", "0123456789", "abcdefghijk"] {
            let value = Array(secret.utf8)
            let prefix = Array("PREFIX".utf8.prefix(prefixLength))
            let encoded = Array(Data(prefix + value + Array("~tail".utf8)).base64EncodedString().utf8)
            // Characters fully determined by the secret's bits.
            let first = (8 * prefixLength + 5) / 6
            let end = 8 * (prefixLength + value.count) / 6
            let expected = Array(encoded[..<first]) + stars + Array(encoded[end...])
            let result = SecretMasker(secrets: [secret]).mask(encoded)
            #expect(result == expected, "secret \(secret) prefix \(prefixLength)")
        }
    }

    @Test func base64URLSafeAlphabet() {
        // 0xFB 0xFF → "+/" territory in the standard alphabet.
        let secret = "ab\u{FB}\u{FF}??>>"
        let standard = Data(secret.utf8).base64EncodedString()
        let urlSafe = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        #expect(standard != urlSafe)
        #expect(masked([secret], "s=\(standard)") == "s=********")
        #expect(masked([secret], "s=\(urlSafe)") == "s=********")
        let unpadded = urlSafe.replacingOccurrences(of: "=", with: "")
        #expect(masked([secret], "s=\(unpadded).") == "s=********.")
    }

    @Test func urlEncodedUpperAndLowerHex() {
        let secret = "p@ss/w?rd&é"
        var unreserved = CharacterSet(charactersIn: "-._~")
        unreserved.formUnion(CharacterSet(charactersIn: "a"..."z"))
        unreserved.formUnion(CharacterSet(charactersIn: "A"..."Z"))
        unreserved.formUnion(CharacterSet(charactersIn: "0"..."9"))
        let upper = secret.addingPercentEncoding(withAllowedCharacters: unreserved)!
        #expect(upper == "p%40ss%2Fw%3Frd%26%C3%A9")
        #expect(masked([secret], "GET /?token=\(upper)&x=1") == "GET /?token=********&x=1")
        #expect(masked([secret], "GET /?token=p%40ss%2fw%3frd%26%c3%a9&x=1") == "GET /?token=********&x=1")
    }

    @Test func urlEncodedSpaceAsPlus() {
        let secret = "my pass/word"
        #expect(masked([secret], "q=my+pass%2Fword") == "q=********")
        #expect(masked([secret], "q=my+pass%2fword") == "q=********")
        #expect(masked([secret], "q=my%20pass%2Fword") == "q=********")
    }

    @Test func jsonEscapedQuotesBackslashesNewlines() throws {
        let secret = "pa\"ss\\wo\nrd\ttab"
        let encoder = JSONEncoder()
        let json = String(decoding: try encoder.encode(["token": secret]), as: UTF8.self)
        #expect(json.contains("\\\"") && json.contains("\\\\") && json.contains("\\n"))
        #expect(masked([secret], json) == "{\"token\":\"********\"}")
    }

    @Test func jsonEscapedSlashBothWays() throws {
        let secret = "https://user:pw@host/x"
        let escaped = String(decoding: try JSONEncoder().encode([secret]), as: UTF8.self)
        #expect(escaped.contains("\\/"))
        #expect(masked([secret], escaped) == "[\"********\"]")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let plain = String(decoding: try encoder.encode([secret]), as: UTF8.self)
        #expect(!plain.contains("\\/"))
        #expect(masked([secret], plain) == "[\"********\"]")
    }

    @Test func jsonEscapedOtherControlCharacters() {
        let secret = "ab\u{01}cd\u{1F}ef\u{08}\u{0C}"
        #expect(masked([secret], "\"ab\\u0001cd\\u001fef\\b\\f\"") == "\"********\"")
        #expect(masked([secret], "\"ab\\u0001cd\\u001Fef\\b\\f\"") == "\"********\"")
        #expect(masked([secret], "\"ab\\u0001cd\\u001fef\\u0008\\u000c\"") == "\"********\"")
    }

    @Test func identicalPatternsAreDeduplicated() {
        let one = SecretMasker(secrets: ["plainvalue1"])
        let twice = SecretMasker(secrets: ["plainvalue1", "plainvalue1"])
        #expect(one.patternCount == twice.patternCount)
        #expect(Set(one.patterns).count == one.patternCount)
        // Percent-encoding and JSON escaping of a plain value equal the value.
        #expect(one.patterns.filter { $0 == bytes("plainvalue1") }.count == 1)
        #expect(one.patterns.allSatisfy { $0.count >= 4 })
    }
}
