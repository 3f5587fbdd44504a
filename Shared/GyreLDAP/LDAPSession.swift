import CLDAP

/// The steps of one authenticator call on one connection, each turning
/// libldap's result codes into an ``LDAPError`` an operator can act on.
/// Lives on one thread (see ``LDAPBlocking``), like its connection.
struct LDAPSession {
    let config: LDAPConfiguration
    let connection: LDAPConnection

    /// Validates the settings, opens a handle, negotiates TLS and binds the service account.
    static func open(_ config: LDAPConfiguration) throws(LDAPError) -> LDAPSession {
        try config.validate()
        let session = LDAPSession(config: config, connection: try LDAPConnection.open(config))
        if config.security == .startTLS { try session.startTLS() }
        try session.bindServiceAccount()
        return session
    }

    private func startTLS() throws(LDAPError) {
        let rc = connection.startTLS()
        switch rc {
        case LDAP_SUCCESS: return
        case LDAP_SERVER_DOWN, LDAP_TIMEOUT: throw connectionFailure(rc)
        case LDAP_CONNECT_ERROR: throw tlsFailure(rc, "StartTLS with")
        default:
            throw LDAPError(.tls, "\(connection.url) refused StartTLS: \(connection.describe(rc)) (does the server offer TLS? use ldaps:// or drop GYRE_LDAP_STARTTLS)")
        }
    }

    /// Anonymous search when no bind DN is configured: nothing to do.
    private func bindServiceAccount() throws(LDAPError) {
        guard !config.bindDN.isEmpty else { return }
        let rc = connection.simpleBind(dn: config.bindDN, password: config.bindPassword)
        switch rc {
        case LDAP_SUCCESS: return
        case LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR, LDAP_TIMEOUT: throw connectionFailure(rc)
        default:
            let hint = rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INVALID_DN_SYNTAX
                ? " (check GYRE_LDAP_BIND_DN and the bind password file)" : ""
            throw LDAPError(.serviceBindFailed, "service account bind failed: \(connection.describe(rc))\(hint)")
        }
    }

    /// Binds as `dn`; false for a wrong password.
    func verifyPassword(dn: String, password: String) throws(LDAPError) -> Bool {
        let rc = connection.simpleBind(dn: dn, password: password)
        switch rc {
        case LDAP_SUCCESS: return true
        case LDAP_INVALID_CREDENTIALS: return false
        case LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR, LDAP_TIMEOUT: throw connectionFailure(rc)
        default: throw LDAPError(.server, "bind as \(dn) failed: \(connection.describe(rc))")
        }
    }

    /// A search whose failures name `what` ("user search", "group search") and the base.
    func search(_ what: String, base: String, scope: Int32, filter: String, attributes: [String],
                sizeLimit: Int32 = 0) throws(LDAPError) -> (entries: [LDAPConnection.Entry], truncated: Bool) {
        let (rc, entries) = connection.search(base: base, scope: scope, filter: filter, attributes: attributes,
                                              sizeLimit: sizeLimit, timeoutSeconds: config.timeoutSeconds)
        switch rc {
        case LDAP_SUCCESS: return (entries, false)
        case LDAP_SIZELIMIT_EXCEEDED: return (entries, true)
        case LDAP_NO_SUCH_OBJECT:
            throw LDAPError(.configuration, "\(what) failed: \(base) does not exist on \(connection.url)")
        case LDAP_SERVER_DOWN, LDAP_CONNECT_ERROR, LDAP_TIMEOUT: throw connectionFailure(rc)
        case LDAP_INSUFFICIENT_ACCESS:
            let who = config.bindDN.isEmpty ? "anonymous searches" : config.bindDN
            throw LDAPError(.configuration, "\(what) failed: \(who) may not search under \(base) (check the directory's access rules or GYRE_LDAP_BIND_DN)")
        default:
            throw LDAPError(.server, "\(what) under \(base) failed: \(connection.describe(rc))")
        }
    }

    /// A lost or impossible connection. Over LDAPS libldap reports a failed TLS
    /// handshake as "Can't contact LDAP server" too, so a plain TCP connect decides.
    private func connectionFailure(_ rc: Int32) -> LDAPError {
        if connection.timedOut {
            return LDAPError(.unreachable, "cannot reach \(connection.url): connected, but no answer within \(config.timeoutSeconds)s (is the server hung, or not speaking \(config.security == .plain ? "LDAP" : "TLS") there?)")
        }
        if config.security == .ldaps, rc != LDAP_TIMEOUT,
           TCPProbe.canConnect(host: config.host, port: config.port, timeoutSeconds: config.timeoutSeconds) {
            return tlsFailure(rc, "TLS handshake with")
        }
        if rc == LDAP_TIMEOUT {
            return LDAPError(.unreachable, "cannot reach \(connection.url): no answer within \(config.timeoutSeconds)s")
        }
        return LDAPError(.unreachable, "cannot reach \(connection.url): \(connection.describe(rc))")
    }

    private func tlsFailure(_ rc: Int32, _ what: String) -> LDAPError {
        let trust = config.caCertificateFile.map { "the CA in GYRE_LDAP_CA_FILE (\($0))" }
            ?? "a CA in the system trust store (set GYRE_LDAP_CA_FILE for a private CA)"
        // libldap's own text here ("Can't contact LDAP server", "Connect error") misleads: the port answered.
        let detail = connection.diagnostic().map { " (\($0))" } ?? ""
        return LDAPError(.tls, "\(what) \(connection.url) failed\(detail): check that the server speaks TLS there and that its certificate is signed by \(trust) and names \(config.host)")
    }
}
