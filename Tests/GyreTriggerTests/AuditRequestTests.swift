import GyreServiceKit
import Testing

/// An audit event's `ip_address`: the connection's peer unless GYRE_TRUST_PROXY=1 lets `X-Forwarded-For` name the client.
@Suite struct AuditRequestTests {
    @Test func thePeerUnlessAProxyIsTrusted() {
        #expect(AuditRequest.clientAddress(forwardedFor: "203.0.113.9", peer: "127.0.0.1", trustProxy: false) == "127.0.0.1")
        #expect(AuditRequest.clientAddress(forwardedFor: "203.0.113.9, 10.0.0.1", peer: "10.0.0.2", trustProxy: true)
                == "203.0.113.9")
        #expect(AuditRequest.clientAddress(forwardedFor: nil, peer: "10.0.0.2", trustProxy: true) == "10.0.0.2")
        #expect(AuditRequest.clientAddress(forwardedFor: " , x", peer: "10.0.0.2", trustProxy: true) == "10.0.0.2")
        #expect(AuditRequest.clientAddress(forwardedFor: nil, peer: "::ffff:192.0.2.1", trustProxy: false) == "192.0.2.1")
        #expect(AuditRequest.clientAddress(forwardedFor: nil, peer: "2001:db8::1", trustProxy: false) == "2001:db8::1")
        #expect(AuditRequest.clientAddress(forwardedFor: nil, peer: nil, trustProxy: false) == nil)
    }
}
