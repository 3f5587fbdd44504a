import Foundation
import GyreServiceKit
import Hummingbird
import Testing
@testable import FrontendService

/// Where a token is read from: as CircleCI clients send it.
@Suite struct CredentialTests {
    func request(_ path: String, _ headers: HTTPFields = [:]) -> Request {
        Request(head: .init(method: .get, scheme: "http", authority: "x", path: path, headerFields: headers),
                body: .init(buffer: ByteBuffer()))
    }

    @Test func headerBasicAuthAndQueryAreAccepted() {
        var header = HTTPFields()
        header[.init("Circle-Token")!] = "abc"
        #expect(AuthMiddleware.credential(request("/api/v2/me", header)) == "abc")
        var basic = HTTPFields()
        basic[.authorization] = "Basic " + Data("tok:".utf8).base64EncodedString()
        #expect(AuthMiddleware.credential(request("/api/v2/me", basic)) == "tok")
        #expect(AuthMiddleware.credential(request("/api/v2/me?circle-token=q1")) == "q1")
        #expect(AuthMiddleware.credential(request("/api/v2/me")) == nil)
        var empty = HTTPFields()
        empty[.authorization] = "Basic " + Data(":password".utf8).base64EncodedString()
        #expect(AuthMiddleware.credential(request("/api/v2/me", empty)) == nil)
    }

    @Test func onlyHealthMetricsWebhooksAndContinuationAreOpen() {
        for path in ["/status", "/healthcheck", "/health-check", "/metrics", "/webhooks/github", "/api/v2/pipeline/continue"] {
            #expect(AuthMiddleware.isOpen(path), "\(path)")
        }
        for path in ["/api/v2/me", "/api/v2/pipeline/x", "/statusx", "/api/gyre/routes", "/webhooks/githubx"] {
            #expect(!AuthMiddleware.isOpen(path), "\(path)")
        }
        #expect(Credentials.equal("same", "same"))
        #expect(!Credentials.equal("same", "sane"))
    }
}
