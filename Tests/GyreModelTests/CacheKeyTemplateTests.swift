import GyreModel
import Testing

struct CacheKeyTemplateTests {
    let context = CacheKeyTemplate.Context(
        branch: "main", buildNumber: 42, revision: "abc123", environment: ["CIRCLE_JOB": "build", "LANG_V": "3.11"],
        epoch: 1_700_000_000, arch: "arch1-linux-amd64")

    func render(_ text: String) async throws -> String {
        try await CacheKeyTemplate(text).render(context) { "sum(\($0))" }
    }

    @Test func plainTextIsKept() async throws {
        #expect(try await render("v1-deps") == "v1-deps")
    }

    @Test func everyExpressionExpands() async throws {
        #expect(try await render("b-{{ .Branch }}") == "b-main")
        #expect(try await render("n-{{ .BuildNum }}") == "n-42")
        #expect(try await render("r-{{ .Revision }}") == "r-abc123")
        #expect(try await render("e-{{ .Environment.CIRCLE_JOB }}-{{ .Environment.LANG_V }}") == "e-build-3.11")
        #expect(try await render("t-{{ epoch }}") == "t-1700000000")
        #expect(try await render("a-{{ arch }}") == "a-arch1-linux-amd64")
        #expect(try await render("c-{{ checksum \"package-lock.json\" }}") == "c-sum(package-lock.json)")
    }

    @Test func spacingInsideBracesDoesNotMatter() async throws {
        #expect(try await render("{{.Branch}}-{{   .BuildNum   }}-{{checksum \"a b.txt\"}}") == "main-42-sum(a b.txt)")
    }

    @Test func missingEnvironmentVariablePrintsNoValueLikeGoTemplates() async throws {
        #expect(try await render("x-{{ .Environment.NOPE }}") == "x-<no value>")
    }

    @Test func severalExpressionsInOneKey() async throws {
        let key = try await render("v2-{{ arch }}-{{ .Branch }}-{{ checksum \"go.sum\" }}-{{ .Revision }}")
        #expect(key == "v2-arch1-linux-amd64-main-sum(go.sum)-abc123")
    }

    @Test func unknownExpressionIsAnError() async throws {
        let error = await #expect(throws: CacheKeyError.self) { try await render("{{ .Nope }}") }
        #expect(error?.code == .unknownExpression)
        #expect(error?.message.contains(".Nope") == true)
    }

    @Test func unterminatedExpressionIsAnError() async throws {
        let error = await #expect(throws: CacheKeyError.self) { try await render("v1-{{ .Branch") }
        #expect(error?.code == .unterminated)
    }

    @Test func checksumNeedsAQuotedFile() async throws {
        let error = await #expect(throws: CacheKeyError.self) { try await render("{{ checksum go.sum }}") }
        #expect(error?.code == .badChecksum)
    }

    @Test func checksumFailurePropagates() async throws {
        struct Missing: Error {}
        await #expect(throws: Missing.self) {
            try await CacheKeyTemplate("{{ checksum \"x\" }}").render(context) { _ in throw Missing() }
        }
    }
}

struct SHA256Tests {
    func hex(_ bytes: [UInt8]) -> String {
        bytes.map { let s = String($0, radix: 16); return s.count == 1 ? "0" + s : s }.joined()
    }

    @Test func knownVectors() {
        #expect(hex(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(SHA256.hash([UInt8](repeating: 0x61, count: 1_000_000)))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func chunkedUpdatesMatchOneShot() {
        let data = (0..<1000).map { UInt8(truncatingIfNeeded: $0 * 7) }
        var hasher = SHA256()
        hasher.update(data[0..<63])
        hasher.update(data[63..<130])
        hasher.update(data[130...])
        #expect(hasher.finalize() == SHA256.hash(data))
    }
}
