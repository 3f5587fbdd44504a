import GyreLDAP
import Testing

/// TLS, reachability and the admin's "test connection", against the real slapd.
@Suite("LDAP connections to slapd")
struct LDAPConnectionTests {
    @Test func plainStartTLSAndLDAPSAllLogIn() async throws {
        let startTLS = try Slapd.configuration()
        #expect(startTLS.security == .startTLS && startTLS.caCertificateFile != nil)
        var plain = startTLS
        plain.security = .plain
        plain.caCertificateFile = nil
        let ldaps = try Slapd.ldapsConfiguration()
        for config in [startTLS, plain, ldaps] {
            let alice = try await LDAPAuthenticator(configuration: config).authenticate(login: "alice", password: "alice-secret")
            #expect(alice.groups == ["developers"], "\(config)")
        }
    }

    @Test func ldapsWithoutTheCAIsATLSError() async throws {
        var config = try Slapd.ldapsConfiguration()
        config.caCertificateFile = nil
        let error = await ldapError { try await LDAPAuthenticator(configuration: config).testConnection() }
        #expect(error?.code == .tls, "\(String(describing: error))")
        #expect(error?.message.contains("system trust store") == true)
    }

    @Test func ldapsWithAWrongCAIsATLSError() async throws {
        var config = try Slapd.ldapsConfiguration()
        config.caCertificateFile = try Slapd.wrongCA()
        let auth = LDAPAuthenticator(configuration: config)
        let error = await ldapError { try await auth.authenticate(login: "alice", password: "alice-secret") }
        #expect(error?.code == .tls, "\(String(describing: error))")
        #expect(error?.message.contains(config.caCertificateFile ?? "?") == true)
    }

    @Test func startTLSWithAWrongCAIsATLSError() async throws {
        var config = try Slapd.configuration()
        config.caCertificateFile = try Slapd.wrongCA()
        let error = await ldapError { try await LDAPAuthenticator(configuration: config).testConnection() }
        #expect(error?.code == .tls, "\(String(describing: error))")
        #expect(error?.message.hasPrefix("StartTLS with ldap://") == true)
    }

    @Test func ldapsSpokenToAPlainPortIsATLSError() async throws {
        var config = try Slapd.ldapsConfiguration()
        config.port = try Slapd.configuration().port
        let error = await ldapError { try await LDAPAuthenticator(configuration: config).testConnection() }
        #expect(error?.code == .tls, "\(String(describing: error))")
    }

    @Test func closedPortIsUnreachable() async throws {
        for security in [LDAPConfiguration.Security.plain, .startTLS, .ldaps] {
            var config = try Slapd.configuration()
            config.security = security
            config.port = 1
            if security == .plain { config.caCertificateFile = nil }
            let auth = LDAPAuthenticator(configuration: config)
            let error = await ldapError { try await auth.authenticate(login: "alice", password: "alice-secret") }
            #expect(error?.code == .unreachable, "\(security): \(String(describing: error))")
            #expect(error?.message.hasPrefix("cannot reach \(config.url): Can't contact LDAP server") == true,
                    "\(String(describing: error))")
        }
    }

    @Test func testConnectionDescribesWhatWorked() async throws {
        let config = try Slapd.configuration()
        let summary = try await LDAPAuthenticator(configuration: config).testConnection()
        #expect(summary.contains(config.url) && summary.contains("StartTLS, certificate verified"), "\(summary)")
        #expect(summary.contains("as cn=gyre-reader,dc=gyre,dc=test"), "\(summary)")
        #expect(summary.contains("search base ou=people,dc=gyre,dc=test and group base ou=groups,dc=gyre,dc=test"))
        let ldaps = try await LDAPAuthenticator(configuration: try Slapd.ldapsConfiguration()).testConnection()
        #expect(ldaps.contains("LDAPS, certificate verified"), "\(ldaps)")
    }

    @Test func testConnectionReportsAMissingBase() async throws {
        var config = try Slapd.configuration()
        config.groupBase = "ou=teams,dc=gyre,dc=test"
        let error = await ldapError { try await LDAPAuthenticator(configuration: config).testConnection() }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("ou=teams,dc=gyre,dc=test does not exist") == true, "\(String(describing: error))")
    }

    @Test func anonymousSearchSeesNothingHere() async throws {
        // slapd's ACLs give anonymous users nothing but binds: the search base is invisible.
        var config = try Slapd.configuration()
        config.bindDN = ""
        config.bindPassword = ""
        let error = await ldapError { try await LDAPAuthenticator(configuration: config).testConnection() }
        #expect(error?.code == .configuration, "\(String(describing: error))")
        #expect(error?.message.contains("anonymous searches may not search under ou=people,dc=gyre,dc=test") == true)
    }
}
