import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A small HTTP client for the CLI, benchmark and tests.
public struct HTTPProbe: Sendable {
    /// Sent with every request unless the call gives the same header (e.g. `Circle-Token`).
    public var defaultHeaders: [String: String]

    public init(defaultHeaders: [String: String] = [:]) {
        self.defaultHeaders = defaultHeaders
    }

    /// A probe that authenticates with an API token (nil: none).
    public static func authenticated(_ token: String?) -> HTTPProbe {
        HTTPProbe(defaultHeaders: token.map { ["Circle-Token": $0] } ?? [:])
    }

    public func get(_ url: URL, timeout: TimeInterval = 5) async -> (Int, String) {
        let (code, data) = await send("GET", url, body: nil, headers: [:], timeout: timeout)
        return (code, String(decoding: data, as: UTF8.self))
    }

    /// Status code (0 when unreachable) and body.
    public func send(_ method: String, _ url: URL, body: Data?, headers: [String: String] = [:],
                     timeout: TimeInterval = 10) async -> (Int, Data) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        request.httpBody = body
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (key, value) in defaultHeaders.merging(headers, uniquingKeysWith: { $1 }) {
            request.setValue(value, forHTTPHeaderField: key)
        }
        do {
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
        } catch {
            return (0, Data("\(error)".utf8))
        }
    }
}
