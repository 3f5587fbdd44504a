import Foundation

extension LDAPConfiguration {
    /// Reads the `GYRE_LDAP_*` variables; nil when `GYRE_LDAP_URL` is unset or empty (LDAP off).
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `GYRE_LDAP_URL` | `ldap://host[:port]` or `ldaps://host[:port]` | (LDAP off) |
    /// | `GYRE_LDAP_STARTTLS` | `1`: StartTLS on an `ldap://` URL | `0` |
    /// | `GYRE_LDAP_BIND_DN` | service account DN | anonymous search |
    /// | `GYRE_LDAP_BIND_PASSWORD_FILE` | file holding its password (trailing newlines ignored) | |
    /// | `GYRE_LDAP_SEARCH_BASE` | where users are searched | required |
    /// | `GYRE_LDAP_USER_ATTRIBUTE` / `_NAME_ATTRIBUTE` / `_EMAIL_ATTRIBUTE` | | `uid` / `cn` / `mail` |
    /// | `GYRE_LDAP_GROUP_BASE` | where groups are searched | no groups |
    /// | `GYRE_LDAP_CA_FILE` | PEM CA for the server certificate | system trust store |
    /// | `GYRE_LDAP_TIMEOUT_SECONDS` | connect and operation timeout | `5` |
    ///
    /// The password is read from a file so it never appears on a command line or in
    /// an environment dump; a `GYRE_LDAP_BIND_PASSWORD` variable is refused.
    public static func fromEnvironment(_ env: [String: String]) throws(LDAPError) -> LDAPConfiguration? {
        func value(_ key: String) -> String? {
            guard let v = env[key]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        func bad(_ message: String) -> LDAPError { LDAPError(.configuration, message) }

        guard let rawURL = value("GYRE_LDAP_URL") else { return nil }
        var (security, host, port) = try parseURL(rawURL)
        switch value("GYRE_LDAP_STARTTLS")?.lowercased() {
        case nil, "0", "false", "no", "off": break
        case "1", "true", "yes", "on":
            guard security == .plain else {
                throw bad("GYRE_LDAP_STARTTLS=1 needs an ldap:// URL (\(rawURL) already uses TLS)")
            }
            security = .startTLS
        case let other?:
            throw bad("invalid GYRE_LDAP_STARTTLS \"\(other)\" (expected 1 or 0)")
        }
        if env["GYRE_LDAP_BIND_PASSWORD"] != nil {
            throw bad("GYRE_LDAP_BIND_PASSWORD is not read: put the password in a file (mode 600) and set GYRE_LDAP_BIND_PASSWORD_FILE")
        }
        var password = ""
        if let file = value("GYRE_LDAP_BIND_PASSWORD_FILE") {
            password = try readPasswordFile(file)
        }
        guard let searchBase = value("GYRE_LDAP_SEARCH_BASE") else {
            throw bad("GYRE_LDAP_SEARCH_BASE is required with GYRE_LDAP_URL (e.g. ou=people,dc=example,dc=org)")
        }
        var timeout = 5.0
        if let raw = value("GYRE_LDAP_TIMEOUT_SECONDS") {
            guard let t = Double(raw), t.isFinite, t > 0, t <= 600 else {
                throw bad("invalid GYRE_LDAP_TIMEOUT_SECONDS \"\(raw)\" (expected seconds, more than 0 and at most 600)")
            }
            timeout = t
        }
        let config = LDAPConfiguration(
            host: host, port: port, security: security,
            bindDN: value("GYRE_LDAP_BIND_DN") ?? "", bindPassword: password, searchBase: searchBase,
            userAttribute: value("GYRE_LDAP_USER_ATTRIBUTE") ?? "uid",
            nameAttribute: value("GYRE_LDAP_NAME_ATTRIBUTE") ?? "cn",
            emailAttribute: value("GYRE_LDAP_EMAIL_ATTRIBUTE") ?? "mail",
            groupBase: value("GYRE_LDAP_GROUP_BASE"), caCertificateFile: value("GYRE_LDAP_CA_FILE"),
            timeoutSeconds: timeout)
        try config.validate()
        return config
    }

    /// `ldap://host[:port][/]` or `ldaps://...`; IPv6 hosts in brackets.
    static func parseURL(_ raw: String) throws(LDAPError) -> (Security, host: String, port: Int?) {
        func bad(_ why: String) -> LDAPError {
            LDAPError(.configuration, "invalid GYRE_LDAP_URL \"\(raw)\": \(why) (expected ldap://host:port or ldaps://host:port)")
        }
        let lower = raw.lowercased()
        let security: Security
        var rest: Substring
        if lower.hasPrefix("ldap://") {
            security = .plain
            rest = raw.dropFirst("ldap://".count)
        } else if lower.hasPrefix("ldaps://") {
            security = .ldaps
            rest = raw.dropFirst("ldaps://".count)
        } else {
            throw bad("the scheme must be ldap or ldaps")
        }
        if rest.hasSuffix("/") { rest = rest.dropLast() }
        guard !rest.contains(where: { "/?#@ ".contains($0) }) else {
            throw bad("only a host and a port are allowed (no path, query or credentials)")
        }
        var host = rest
        var portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw bad("unclosed [ in the IPv6 host") }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw bad("unexpected text after the IPv6 host") }
                portText = after.dropFirst()
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        guard !host.isEmpty else { throw bad("the host is missing") }
        var port: Int?
        if let portText {
            guard let p = Int(portText), (1...65535).contains(p) else { throw bad("the port must be 1-65535") }
            port = p
        }
        return (security, String(host), port)
    }

    /// The file's text without trailing newlines; an error naming the file otherwise.
    static func readPasswordFile(_ path: String) throws(LDAPError) -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LDAPError(.configuration, "cannot read GYRE_LDAP_BIND_PASSWORD_FILE \(path)")
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw LDAPError(.configuration, "GYRE_LDAP_BIND_PASSWORD_FILE \(path) is not UTF-8 text")
        }
        // By scalars: "\r\n" is one Character, so hasSuffix("\n") would miss it.
        while let last = text.unicodeScalars.last, last == "\n" || last == "\r" {
            text.unicodeScalars.removeLast()
        }
        guard !text.isEmpty else {
            throw LDAPError(.configuration, "GYRE_LDAP_BIND_PASSWORD_FILE \(path) is empty")
        }
        return text
    }
}
