import Testing
@testable import FrontendService

@Suite struct WebhookSignatureTests {
    @Test func placeholder() {
        #expect(Bool(true))
    }
}
