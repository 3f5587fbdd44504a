import Foundation
import GyreServiceKit
import Hummingbird

/// Server-rendered pages: small Swift functions that build HTML with every
/// dynamic value escaped. No template engine: the pages are few and small,
/// the compiler checks them, nothing is parsed at run time, and the frontend
/// links no extra package (swift-mustache would add one for little gain).
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A percent-encoded path segment or query value.
    static func component(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    /// A whole page: the shared header (with the signed-in user and sign-out), the body, the stylesheet and script.
    static func page(title: String, caller: Caller?, body: String, main attributes: String = "",
                     status: HTTPResponse.Status = .ok) -> Response {
        let user = caller.map { caller in
            """
            \(caller.admin ? "<a id=\"admin\" href=\"/admin\">Admin</a>" : "")
            <span class="who">\(escape(caller.login))\(caller.admin ? " (admin)" : "")</span>
            <a id="sign-out" href="/logout">Sign out</a>
            """
        } ?? ""
        let text = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="csrf-token" content="\(escape(caller?.csrfToken ?? ""))">
            <title>\(escape(title)) · Gyre</title>
            <link rel="stylesheet" href="/assets/gyre.css">
            <script src="/assets/gyre.js" defer></script>
            </head>
            <body>
            <header><nav aria-label="Main"><a class="brand" href="/">Gyre</a>\(user)</nav></header>
            <main id="main"\(attributes)>
            \(body)
            </main>
            </body>
            </html>
            """
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
                        body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(_ location: String, cookie: String? = nil) -> Response {
        var headers: HTTPFields = [.location: location]
        if let cookie { headers[.setCookie] = cookie }
        return Response(status: .seeOther, headers: headers)
    }

    /// A status as a labelled badge (`data-status` for scripts and tests, text for people and screen readers).
    static func status(_ status: String, id: String? = nil) -> String {
        let identifier = id.map { " id=\"\(escape($0))\"" } ?? ""
        return "<span\(identifier) class=\"status s-\(escape(status))\" data-status=\"\(escape(status))\">\(escape(status))</span>"
    }

    static func time(_ date: Date?) -> String {
        guard let date else { return "" }
        let text = ISO8601.format(date)
        return "<time datetime=\"\(text)\">\(escape(String(text.prefix(19)).replacingOccurrences(of: "T", with: " ")))</time>"
    }

    static func duration(from start: Date?, to end: Date?) -> String {
        guard let start, let end else { return "" }
        let seconds = end.timeIntervalSince(start)
        return seconds < 60 ? String(format: "%.1fs", seconds) : String(format: "%dm %02ds", Int(seconds) / 60, Int(seconds) % 60)
    }
}
