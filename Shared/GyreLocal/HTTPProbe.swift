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
        let (code, data, _) = await exchange(method, url, body: body, headers: headers, timeout: timeout)
        return (code, data)
    }

    /// No cookie jar: a session cookie goes only where a caller sends it on purpose.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        configuration.httpCookieAcceptPolicy = .never
        return URLSession(configuration: configuration)
    }()

    /// Status code (0 when unreachable), body and response headers (names lowercased).
    public func exchange(_ method: String, _ url: URL, body: Data?, headers: [String: String] = [:],
                         timeout: TimeInterval = 10) async -> (Int, Data, [String: String]) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.timeoutInterval = timeout
        request.httpBody = body
        if body != nil, headers["Content-Type"] == nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        for (key, value) in defaultHeaders.merging(headers, uniquingKeysWith: { $1 }) {
            request.setValue(value, forHTTPHeaderField: key)
        }
        do {
            let (data, response) = try await Self.session.data(for: request)
            let http = response as? HTTPURLResponse
            var fields: [String: String] = [:]
            for (key, value) in http?.allHeaderFields ?? [:] {
                if let key = key as? String, let value = value as? String { fields[key.lowercased()] = value }
            }
            return (http?.statusCode ?? 0, data, fields)
        } catch {
            return (0, Data("\(error)".utf8), [:])
        }
    }
}
