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
        var bytes = Array((try? encoder.encode(value)) ?? Data("{}".utf8))
        lowercaseUUIDs(&bytes)
        return Response(status: status, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    /// The same encoding as text (for a WebSocket message); output text is passed through as it is.
    public static func encodeText<T: Encodable>(_ value: T) -> String {
        String(decoding: (try? encoder.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
    }

    /// JSONEncoder writes `UUID`s in upper case; CircleCI's API (and strict clients comparing ids) use lower case.
    /// Every JSON string that is exactly a UUID is lower-cased, in one pass over the bytes.
    public static func lowercaseUUIDs(_ bytes: inout [UInt8]) {
        let quote = UInt8(ascii: "\""), dash = UInt8(ascii: "-")
        guard bytes.count >= 38 else { return }
        var index = 0
        while index + 37 < bytes.count {
            guard bytes[index] == quote, bytes[index + 37] == quote else { index += 1; continue }
            var isUUID = true
            var upper = false
            for offset in 1...36 {
                let byte = bytes[index + offset]
                switch offset {
                case 9, 14, 19, 24: if byte != dash { isUUID = false }
                default:
                    if byte >= 0x41 && byte <= 0x46 { upper = true }
                    else if !((byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66)) { isUUID = false }
                }
                if !isUUID { break }
            }
            if isUUID {
                if upper {
                    for offset in 1...36 where bytes[index + offset] >= 0x41 && bytes[index + offset] <= 0x46 {
                        bytes[index + offset] += 0x20
                    }
                }
                index += 38
            } else {
                index += 1
            }
        }
    }
}

public enum ISO8601 {
    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
