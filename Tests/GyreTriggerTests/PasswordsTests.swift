import GyrePasswords
import Testing

/// Local passwords: scrypt with a salt per password, checked in constant time.
@Suite struct PasswordsTests {
    @Test func aHashVerifiesItsPasswordOnly() throws {
        let stored = try Passwords.hash("correct horse")
        #expect(stored.hasPrefix("scrypt$15$8$1$"))
        #expect(Passwords.verify("correct horse", against: stored))
        #expect(!Passwords.verify("correct horsE", against: stored))
        #expect(!Passwords.verify("", against: stored))
        // A salt per password: the same password hashes differently.
        #expect(try Passwords.hash("correct horse") != stored)
    }

    @Test func malformedOrTamperedHashesNeverVerify() throws {
        let stored = try Passwords.hash("secret password")
        for bad in ["", "scrypt", "plain$secret password", stored.replacingOccurrences(of: "scrypt$15", with: "scrypt$40"),
                    String(stored.dropLast(4)) + "AAAA"] {
            #expect(!Passwords.verify("secret password", against: bad), "\(bad)")
        }
    }

    @Test func weakPasswordsAreRefusedWithAReason() {
        #expect(Passwords.problem("short") != nil)
        #expect(Passwords.problem(String(repeating: "x", count: 2000)) != nil)
        #expect(Passwords.problem("long enough") == nil)
    }
}
