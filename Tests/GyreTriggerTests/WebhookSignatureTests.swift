import Foundation
import Testing
@testable import FrontendService

@Suite struct WebhookSignatureTests {
    // RFC 4231, test case 2.
    @Test func signsLikeRFC4231() {
        let body = Data("what do ya want for nothing?".utf8)
        #expect(WebhookSignature.sign(body, secret: "Jefe")
            == "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func acceptsTheRightSignatureInEitherCase() {
        let body = Data(#"{"zen":"Keep it logically awesome."}"#.utf8)
        let header = WebhookSignature.sign(body, secret: "s3cret")
        #expect(WebhookSignature.verify(header: header, body: body, secret: "s3cret") == .valid)
        #expect(WebhookSignature.verify(header: header.uppercased().replacingOccurrences(of: "SHA256=", with: "sha256="),
                                        body: body, secret: "s3cret") == .valid)
    }

    @Test func rejectsWrongSecretChangedBodyAndBadHeaders() {
        let body = Data("payload".utf8)
        let header = WebhookSignature.sign(body, secret: "right")
        #expect(WebhookSignature.verify(header: header, body: body, secret: "wrong") == .mismatch)
        #expect(WebhookSignature.verify(header: header, body: Data("payload ".utf8), secret: "right") == .mismatch)
        #expect(WebhookSignature.verify(header: nil, body: body, secret: "right") == .missing)
        #expect(WebhookSignature.verify(header: "", body: body, secret: "right") == .missing)
        #expect(WebhookSignature.verify(header: "sha1=abcd", body: body, secret: "right") == .malformed)
        #expect(WebhookSignature.verify(header: "sha256=zz", body: body, secret: "right") == .malformed)
        #expect(WebhookSignature.verify(header: String(header.dropLast(2)), body: body, secret: "right") == .malformed)
    }
}
