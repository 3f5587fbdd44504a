import GyreLDAP
import Testing

@Suite("LDAP timeouts")
struct LDAPTimeoutTests {
    /// Every step has a deadline, the LDAPS handshake included (libldap has none for it).
    @Test(arguments: [LDAPConfiguration.Security.plain, .startTLS, .ldaps])
    func aServerThatNeverAnswersTimesOut(security: LDAPConfiguration.Security) async throws {
        let server = try SilentServer()
        let config = LDAPConfiguration(host: "127.0.0.1", port: server.port, security: security,
                                       bindDN: "cn=gyre-reader,dc=gyre,dc=test", bindPassword: "x",
                                       searchBase: "dc=gyre,dc=test", timeoutSeconds: 0.5)
        let start = ContinuousClock.now
        let error = await ldapError { try await LDAPAuthenticator(configuration: config).authenticate(login: "alice", password: "y") }
        let elapsed = ContinuousClock.now - start
        #expect(error?.code == .unreachable, "\(String(describing: error))")
        #expect(error?.message.contains("no answer within 0.5s") == true, "\(String(describing: error))")
        // It ends (a hang would never return); how soon depends on the machine's load, so the bound is loose.
        #expect(elapsed < .seconds(30))
        withExtendedLifetime(server) {}
    }
}
