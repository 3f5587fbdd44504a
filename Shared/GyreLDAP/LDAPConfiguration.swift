import Foundation

/// Where and how Gyre finds its users in an LDAP directory.
///
/// The service account (``bindDN``) only searches; users are authenticated by a
/// bind as their own entry. Encoding this value writes ``bindPassword`` in the
/// clear, so store encoded configurations like any other secret.
public struct LDAPConfiguration: Sendable, Codable, Equatable {
    /// How the connection is protected.
    public enum Security: String, Sendable, Codable {
        /// `ldap://`, no TLS (test directories and trusted networks only).
        case plain
        /// `ldaps://`: TLS from the first byte.
        case ldaps
        /// `ldap://`, then the StartTLS extended operation before anything else.
        case startTLS = "starttls"

        /// 636 for LDAPS, else 389.
        public var defaultPort: Int { self == .ldaps ? 636 : 389 }
        /// `ldaps` for LDAPS, else `ldap`.
        public var scheme: String { self == .ldaps ? "ldaps" : "ldap" }
    }

    public var host: String
    public var port: Int
    public var security: Security
    /// The service account that searches; empty for anonymous searches.
    public var bindDN: String
    /// The service account's password (empty when ``bindDN`` is empty).
    public var bindPassword: String
    /// Users are searched in this subtree.
    public var searchBase: String
    /// The attribute users log in with (`uid`, `sAMAccountName`, `mail`, ...).
    public var userAttribute: String = "uid"
    public var nameAttribute: String = "cn"
    public var emailAttribute: String = "mail"
    /// When set, the user's groups are the entries in this subtree with
    /// `member` or `uniqueMember` equal to the user's DN, or `memberUid` equal to
    /// the login; each group is named by its `cn`.
    public var groupBase: String?
    /// PEM file with the CA(s) that sign the server certificate, for LDAPS and
    /// StartTLS. Without it the system's trust store is used. The server
    /// certificate is always verified.
    public var caCertificateFile: String?
    /// Limit for connecting and for each operation.
    public var timeoutSeconds: Double = 5

    public init(host: String, port: Int? = nil, security: Security = .plain,
                bindDN: String = "", bindPassword: String = "", searchBase: String,
                userAttribute: String = "uid", nameAttribute: String = "cn", emailAttribute: String = "mail",
                groupBase: String? = nil, caCertificateFile: String? = nil, timeoutSeconds: Double = 5) {
        self.host = host
        self.port = port ?? security.defaultPort
        self.security = security
        self.bindDN = bindDN
        self.bindPassword = bindPassword
        self.searchBase = searchBase
        self.userAttribute = userAttribute
        self.nameAttribute = nameAttribute
        self.emailAttribute = emailAttribute
        self.groupBase = groupBase
        self.caCertificateFile = caCertificateFile
        self.timeoutSeconds = timeoutSeconds
    }

    /// The server's URL as libldap takes it, e.g. `ldaps://ldap.example.org:636`.
    public var url: String {
        let h = host.contains(":") ? "[\(host)]" : host
        return "\(security.scheme)://\(h):\(port)"
    }

    /// Checks what can be checked without the server. Every call of
    /// ``LDAPAuthenticator`` runs this first.
    public func validate() throws(LDAPError) {
        func bad(_ message: String) -> LDAPError { LDAPError(.configuration, message) }
        let hostOK = !host.isEmpty && host.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ".-_:".unicodeScalars.contains($0))
        }
        guard hostOK else { throw bad("invalid LDAP host \"\(host)\"") }
        guard (1...65535).contains(port) else { throw bad("invalid LDAP port \(port) (expected 1-65535)") }
        guard timeoutSeconds.isFinite, timeoutSeconds > 0, timeoutSeconds <= 600 else {
            throw bad("invalid LDAP timeout \(timeoutSeconds) (expected seconds, more than 0 and at most 600)")
        }
        guard !searchBase.isEmpty else { throw bad("the LDAP search base is empty (set GYRE_LDAP_SEARCH_BASE)") }
        for (what, attribute) in [("user", userAttribute), ("name", nameAttribute), ("email", emailAttribute)]
        where !LDAPFilter.isValidAttribute(attribute) {
            throw bad("invalid LDAP \(what) attribute \"\(attribute)\" (expected a name like uid or an OID)")
        }
        // A simple bind with a DN and no password is an unauthenticated bind,
        // which servers accept as anonymous: never send one.
        if !bindDN.isEmpty && bindPassword.isEmpty {
            throw bad("the LDAP bind DN \(bindDN) has no password (set GYRE_LDAP_BIND_PASSWORD_FILE)")
        }
        if bindDN.isEmpty && !bindPassword.isEmpty {
            throw bad("an LDAP bind password is set but no bind DN (set GYRE_LDAP_BIND_DN)")
        }
        if let ca = caCertificateFile {
            guard security != .plain else {
                throw bad("an LDAP CA file is set but the connection does not use TLS (use ldaps:// or GYRE_LDAP_STARTTLS=1)")
            }
            guard FileManager.default.isReadableFile(atPath: ca) else {
                throw bad("cannot read the LDAP CA file \(ca)")
            }
        }
    }
}

extension LDAPConfiguration: CustomStringConvertible {
    /// A summary for logs and status pages; the password is never shown.
    public var description: String {
        var parts = [url + (security == .startTLS ? " (StartTLS)" : "")]
        parts.append(bindDN.isEmpty ? "anonymous search" : "bind \(bindDN)")
        parts.append("search \(userAttribute) under \(searchBase)")
        if let groupBase { parts.append("groups under \(groupBase)") }
        if let caCertificateFile { parts.append("CA \(caCertificateFile)") }
        return parts.joined(separator: ", ")
    }
}
