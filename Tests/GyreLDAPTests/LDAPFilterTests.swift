import GyreLDAP
import Testing

@Suite("LDAP filter escaping (RFC 4515)")
struct LDAPFilterTests {
    @Test(arguments: [
        ("alice", "alice"),
        ("*", "\\2a"),
        (")(uid=*", "\\29\\28uid=\\2a"),
        ("a\\b", "a\\5cb"),
        ("nul\u{0}byte", "nul\\00byte"),
        ("Zoë Čapek", "Zoë Čapek"),
        ("pat*(ops)", "pat\\2a\\28ops\\29"),
        ("", ""),
    ])
    func escapesMetacharacters(input: String, expected: String) {
        #expect(LDAPFilter.escape(input) == expected)
    }

    @Test func equalityFilterCannotBeWidened() {
        #expect(LDAPFilter.equality("uid", "alice") == "(uid=alice)")
        #expect(LDAPFilter.equality("uid", "*)(|(uid=*") == "(uid=\\2a\\29\\28|\\28uid=\\2a)")
        // Escaping twice must not collapse back to a metacharacter.
        #expect(LDAPFilter.escape(LDAPFilter.escape("*")) == "\\5c2a")
    }

    @Test func attributeNames() {
        for good in ["uid", "mail", "sAMAccountName", "x-gyre-login", "0.9.2342.19200300.100.1.1", "cn"] {
            #expect(LDAPFilter.isValidAttribute(good), "\(good)")
        }
        for bad in ["", "uid)", "u id", "1uid", "uid=*", "0.", "1..2", "ü", "mail;lang-en", "-x"] {
            #expect(!LDAPFilter.isValidAttribute(bad), "\(bad)")
        }
    }
}
