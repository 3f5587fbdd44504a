import GyreLDAP
import Testing

/// Logins against the real slapd of deploy/scripts/start-slapd.sh (StartTLS with its CA).
@Suite("LDAP logins against slapd")
struct LDAPAuthenticatorTests {
    private func authenticator(_ change: (inout LDAPConfiguration) -> Void = { _ in }) throws -> LDAPAuthenticator {
        var config = try Slapd.configuration()
        change(&config)
        return LDAPAuthenticator(configuration: config)
    }

    @Test func goodPasswordReturnsNameEmailAndGroups() async throws {
        let alice = try await authenticator().authenticate(login: "alice", password: "alice-secret")
        #expect(alice == LDAPUser(dn: "uid=alice,ou=people,dc=gyre,dc=test", login: "alice", name: "Alice Liddell",
                                  emails: ["alice@gyre.test"], groups: ["developers"]))
    }

    @Test func groupsFromMemberUniqueMemberAndMemberUid() async throws {
        let bob = try await authenticator().authenticate(login: "bob", password: "bob-secret")
        #expect(bob.name == "Bob Builder")
        #expect(bob.emails == ["bob@gyre.test", "robert@gyre.test"])
        // admins: groupOfNames/member, auditors: groupOfUniqueNames/uniqueMember, deployers: posixGroup/memberUid.
        #expect(bob.groups == ["admins", "auditors", "deployers"])
    }

    @Test func loginIsReturnedAsTheDirectorySpellsIt() async throws {
        let alice = try await authenticator().authenticate(login: "ALICE", password: "alice-secret")
        #expect(alice.login == "alice")
        #expect(alice.groups == ["developers"])
    }

    @Test func noGroupBaseMeansNoGroups() async throws {
        let alice = try await authenticator { $0.groupBase = nil }.authenticate(login: "alice", password: "alice-secret")
        #expect(alice.groups.isEmpty)
    }

    @Test func wrongPasswordIsInvalidCredentials() async throws {
        let auth = try authenticator()
        let error = await ldapError { try await auth.authenticate(login: "alice", password: "bob-secret") }
        #expect(error?.code == .invalidCredentials)
        #expect(error?.message.contains("bob-secret") == false)
        #expect(error?.description.contains("bob-secret") == false)
    }

    @Test func emptyPasswordIsRefusedWithoutAnyBind() async throws {
        let auth = try authenticator()
        #expect(await ldapError { try await auth.authenticate(login: "alice", password: "") }?.code == .invalidCredentials)
        // Not even a connection: the same answer with a server that does not exist.
        let nowhere = try authenticator { $0.port = 1 }
        #expect(await ldapError { try await nowhere.authenticate(login: "alice", password: "") }?.code == .invalidCredentials)
    }

    @Test func userOutsideTheSearchBaseIsNotFound() async throws {
        let auth = try authenticator()
        let error = await ldapError { try await auth.authenticate(login: "carol", password: "carol-secret") }
        #expect(error?.code == .userNotFound)
        #expect(error?.message.contains("ou=people,dc=gyre,dc=test") == true)
        // Carol exists and her password is right: only the search base kept her out.
        let wholeTree = try authenticator { $0.searchBase = "dc=gyre,dc=test" }
        let carol = try await wholeTree.authenticate(login: "carol", password: "carol-secret")
        #expect(carol.dn == "uid=carol,ou=contractors,dc=gyre,dc=test")
    }

    @Test func unknownUserIsNotFound() async throws {
        let auth = try authenticator()
        #expect(await ldapError { try await auth.authenticate(login: "mallory", password: "x") }?.code == .userNotFound)
    }

    @Test(arguments: ["*", "a*", "al*", ")(uid=*", "alice)(uid=*", "*)(|(uid=*", "pat*", "pat*(ops", "alice\\"])
    func filterMetacharactersMatchNobodyElse(login: String) async throws {
        let auth = try authenticator()
        let error = await ldapError { try await auth.authenticate(login: login, password: "alice-secret") }
        #expect(error?.code == .userNotFound, "\(login): \(String(describing: error))")
    }

    @Test func loginWithMetacharactersMatchesItself() async throws {
        let pat = try await authenticator().authenticate(login: "pat*(ops)", password: "pat-secret")
        #expect(pat.dn == "uid=pat*(ops),ou=people,dc=gyre,dc=test")
        #expect(pat.login == "pat*(ops)" && pat.name == "Pat Metachar" && pat.emails.isEmpty)
    }

    @Test func moreThanOneEntryIsAmbiguous() async throws {
        // Every person is an inetOrgPerson: a deliberately non-unique login attribute.
        let auth = try authenticator { $0.userAttribute = "objectClass" }
        let error = await ldapError { try await auth.authenticate(login: "inetOrgPerson", password: "alice-secret") }
        #expect(error?.code == .ambiguousUser)
    }

    @Test func wrongServicePasswordIsServiceBindFailed() async throws {
        let auth = try authenticator { $0.bindPassword = "not-the-reader-password" }
        let error = await ldapError { try await auth.authenticate(login: "alice", password: "alice-secret") }
        #expect(error?.code == .serviceBindFailed)
        #expect(error?.message.contains("GYRE_LDAP_BIND_DN") == true)
        #expect(error?.message.contains("not-the-reader-password") == false)
        let check = await ldapError { try await auth.testConnection() }
        #expect(check?.code == .serviceBindFailed)
    }

    @Test func missingSearchBaseIsAConfigurationError() async throws {
        let auth = try authenticator { $0.searchBase = "ou=nobody,dc=gyre,dc=test" }
        let error = await ldapError { try await auth.authenticate(login: "alice", password: "alice-secret") }
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("ou=nobody,dc=gyre,dc=test does not exist") == true)
    }

    @Test func concurrentLoginsEachGetTheirOwnConnection() async throws {
        let auth = try authenticator()
        let users = try await withThrowingTaskGroup(of: String.self) { group in
            for i in 0..<24 {
                group.addTask {
                    let (login, password) = i.isMultiple(of: 2) ? ("alice", "alice-secret") : ("bob", "bob-secret")
                    return try await auth.authenticate(login: login, password: password).login
                }
            }
            var logins: [String] = []
            for try await login in group { logins.append(login) }
            return logins
        }
        #expect(users.filter { $0 == "alice" }.count == 12 && users.filter { $0 == "bob" }.count == 12)
    }
}
