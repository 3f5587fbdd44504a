/// Decodes `%XX` escapes (RFC 3986). Returns nil for a malformed escape or invalid UTF-8.
public func percentDecode(_ s: Substring) -> String? {
    guard s.contains("%") else { return String(s) }
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count)
    var it = Array(s.utf8)[...]
    while let c = it.popFirst() {
        if c == UInt8(ascii: "%") {
            guard let h = it.popFirst(), let l = it.popFirst(),
                  let hv = hexValue(h), let lv = hexValue(l) else { return nil }
            out.append(hv << 4 | lv)
        } else {
            out.append(c)
        }
    }
    return String(validating: out, as: UTF8.self)
}

private func hexValue(_ c: UInt8) -> UInt8? {
    switch c {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
    default: nil
    }
}

/// The parts of `scheme://[userinfo@]host[:port][/path][?query][#fragment]`.
public struct ParsedServerURL: Sendable {
    public var user: String?
    public var password: String?
    public var host: String
    public var port: Int?
    /// The raw (still percent-encoded) path, including the leading "/", or "".
    public var rawPath: Substring
}

public enum ServerURLParseFailure: Error, Sendable {
    case badScheme, malformed(String)
}

/// A small parser for `amqp://` and `redis://` URLs (no Foundation: exact control over `%2f`).
public func parseServerURL(_ url: String, schemes: [String]) -> Result<ParsedServerURL, ServerURLParseFailure> {
    guard let schemeEnd = url.firstRange(of: "://") else { return .failure(.badScheme) }
    let scheme = url[..<schemeEnd.lowerBound].lowercased()
    guard schemes.contains(scheme) else { return .failure(.badScheme) }
    var rest = url[schemeEnd.upperBound...]
    if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
    if let q = rest.firstIndex(of: "?") { rest = rest[..<q] }
    let authority: Substring
    let path: Substring
    if let slash = rest.firstIndex(of: "/") {
        authority = rest[..<slash]
        path = rest[slash...]
    } else {
        authority = rest
        path = ""
    }
    var result = ParsedServerURL(user: nil, password: nil, host: "", port: nil, rawPath: path)
    var hostPort = authority
    if let at = authority.lastIndex(of: "@") {
        let userinfo = authority[..<at]
        hostPort = authority[authority.index(after: at)...]
        let userPart: Substring
        var passPart: Substring?
        if let colon = userinfo.firstIndex(of: ":") {
            userPart = userinfo[..<colon]
            passPart = userinfo[userinfo.index(after: colon)...]
        } else {
            userPart = userinfo
        }
        guard let u = percentDecode(userPart) else { return .failure(.malformed("bad escape in user name")) }
        result.user = u
        if let p = passPart {
            guard let pd = percentDecode(p) else { return .failure(.malformed("bad escape in password")) }
            result.password = pd
        }
    }
    // Host: [v6]:port or host:port.
    var portPart: Substring?
    if hostPort.hasPrefix("[") {
        guard let close = hostPort.firstIndex(of: "]") else { return .failure(.malformed("unterminated IPv6 address")) }
        result.host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
        let after = hostPort[hostPort.index(after: close)...]
        if after.hasPrefix(":") { portPart = after.dropFirst() } else if !after.isEmpty {
            return .failure(.malformed("unexpected characters after IPv6 address"))
        }
    } else if let colon = hostPort.lastIndex(of: ":") {
        result.host = String(hostPort[..<colon])
        portPart = hostPort[hostPort.index(after: colon)...]
    } else {
        result.host = String(hostPort)
    }
    guard let decodedHost = percentDecode(Substring(result.host)) else { return .failure(.malformed("bad escape in host")) }
    result.host = decodedHost
    if let p = portPart, !p.isEmpty {
        guard p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(p), (1...65535).contains(n) else {
            return .failure(.malformed("invalid port \"\(p)\""))
        }
        result.port = n
    }
    return .success(result)
}
