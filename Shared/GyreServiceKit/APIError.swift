import Foundation
import Hummingbird

/// The one mapping from errors to HTTP answers: a status and `{"message": ...}`
/// (the shape CircleCI's API uses), with text a person can act on.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(["message": message], status: status)
    }

    public static func notFound(_ what: String) -> APIError { APIError(.notFound, "\(what) not found") }
    public static func badRequest(_ message: String) -> APIError { APIError(.badRequest, message) }
    public static func unavailable(_ message: String) -> APIError { APIError(.serviceUnavailable, message) }
}

public enum JSONResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.format(date))
        }
        return encoder
    }()

    public static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

public enum ISO8601 {
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
