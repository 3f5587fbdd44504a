import CLDAP

/// Logs users in against an LDAP directory.
///
/// Every call opens its own connection (TLS and service bind included) and
/// closes it before returning, so there is no shared connection state; the
/// blocking libldap calls run off Swift's cooperative pool.
public struct LDAPAuthenticator: Sendable {
    public let configuration: LDAPConfiguration

    public init(configuration: LDAPConfiguration) {
        self.configuration = configuration
    }

    /// Service bind, a subtree search of the search base for exactly one entry
    /// with `userAttribute=<login>` (escaped, RFC 4515), the user's groups, then a
    /// simple bind as that entry with `password`.
    ///
    /// An empty password is refused without contacting the server (it would be
    /// an unauthenticated bind). Callers showing errors to end users should map
    /// `userNotFound` and `invalidCredentials` to the same message.
    public func authenticate(login: String, password: String) async throws(LDAPError) -> LDAPUser {
        guard !password.isEmpty else { throw LDAPError(.invalidCredentials, "empty password for \(login)") }
        guard !login.isEmpty else { throw LDAPError(.userNotFound, "empty login") }
        let config = configuration
        return try await LDAPBlocking.run { () throws(LDAPError) -> LDAPUser in
            let session = try LDAPSession.open(config)
            let entry = try session.findUser(login)
            let user = try session.user(from: entry, login: login)
            guard try session.verifyPassword(dn: entry.dn, password: password) else {
                throw LDAPError(.invalidCredentials, "invalid credentials for \(login)")
            }
            return user
        }
    }

    /// The administrator's "test connection": connect, TLS as configured, service
    /// bind, and a base-scope search of the search base (and of the group base).
    /// Returns a one-line description of what worked.
    public func testConnection() async throws(LDAPError) -> String {
        let config = configuration
        return try await LDAPBlocking.run { () throws(LDAPError) -> String in
            let session = try LDAPSession.open(config)
            var found = ["search base \(config.searchBase)"]
            try session.requireEntry(config.searchBase, "search base")
            if let groupBase = config.groupBase {
                try session.requireEntry(groupBase, "group base")
                found.append("group base \(groupBase)")
            }
            let tls = switch config.security {
            case .plain: "no TLS"
            case .ldaps: "LDAPS, certificate verified"
            case .startTLS: "StartTLS, certificate verified"
            }
            let who = config.bindDN.isEmpty ? "anonymously" : "as \(config.bindDN)"
            return "connected to \(config.url) (\(tls)), bound \(who), found \(found.joined(separator: " and "))"
        }
    }
}

extension LDAPSession {
    /// The one entry under the search base whose user attribute equals `login`.
    func findUser(_ login: String) throws(LDAPError) -> LDAPConnection.Entry {
        let filter = LDAPFilter.equality(config.userAttribute, login)
        let (entries, truncated) = try search(
            "user search", base: config.searchBase, scope: LDAP_SCOPE_SUBTREE, filter: filter,
            attributes: [config.userAttribute, config.nameAttribute, config.emailAttribute], sizeLimit: 2)
        guard entries.count < 2, !truncated else {
            throw LDAPError(.ambiguousUser, "more than one entry under \(config.searchBase) has \(config.userAttribute)=\(login); make \(config.userAttribute) unique or narrow the search base")
        }
        guard let entry = entries.first else {
            throw LDAPError(.userNotFound, "no entry under \(config.searchBase) has \(config.userAttribute)=\(login)")
        }
        // Binding with an empty DN would be an anonymous bind: never.
        guard !entry.dn.isEmpty else { throw LDAPError(.server, "the entry for \(login) came back without a DN") }
        return entry
    }

    /// The user with name, emails and (when a group base is set) groups.
    func user(from entry: LDAPConnection.Entry, login: String) throws(LDAPError) -> LDAPUser {
        let logins = entry.values(config.userAttribute)
        let canonical = logins.first { $0.lowercased() == login.lowercased() } ?? logins.first ?? login
        let name = entry.values(config.nameAttribute).first ?? canonical
        return LDAPUser(dn: entry.dn, login: canonical, name: name, emails: entry.values(config.emailAttribute),
                        groups: try groups(dn: entry.dn, login: canonical))
    }

    private func groups(dn: String, login: String) throws(LDAPError) -> [String] {
        guard let groupBase = config.groupBase else { return [] }
        let filter = "(|" + LDAPFilter.equality("member", dn) + LDAPFilter.equality("uniqueMember", dn)
            + LDAPFilter.equality("memberUid", login) + ")"
        // A size limit hit still leaves the groups received: partial beats failing the login.
        let (entries, _) = try search("group search", base: groupBase, scope: LDAP_SCOPE_SUBTREE,
                                      filter: filter, attributes: ["cn"])
        return Set(entries.compactMap { $0.values("cn").first }).sorted()
    }

    /// Fails unless the service account can see the entry at `dn`.
    func requireEntry(_ dn: String, _ what: String) throws(LDAPError) {
        let (entries, _) = try search("\(what) lookup", base: dn, scope: LDAP_SCOPE_BASE,
                                      filter: "(objectClass=*)", attributes: ["1.1"])
        guard !entries.isEmpty else {
            throw LDAPError(.configuration, "the \(what) \(dn) is not visible to \(config.bindDN.isEmpty ? "anonymous searches" : config.bindDN) (check the directory's access rules)")
        }
    }
}
