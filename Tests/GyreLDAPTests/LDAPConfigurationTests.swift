import Foundation
import GyreLDAP
import Testing

@Suite("LDAP configuration from the environment")
struct LDAPConfigurationTests {
    /// A scratch directory with a password file and a CA file.
    final class Files {
        let dir: String
        init() throws {
            dir = NSTemporaryDirectory() + "gyre-ldap-config-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try write("password", "s3cret\n")
            try write("ca.pem", "-----BEGIN CERTIFICATE-----\n")
        }
        deinit { try? FileManager.default.removeItem(atPath: dir) }
        func write(_ name: String, _ text: String) throws {
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
        }
        var password: String { dir + "/password" }
        var ca: String { dir + "/ca.pem" }
    }

    let minimal = ["GYRE_LDAP_URL": "ldap://ldap.example.org", "GYRE_LDAP_SEARCH_BASE": "ou=people,dc=example,dc=org"]

    private func parse(_ env: [String: String]) throws(LDAPError) -> LDAPConfiguration? {
        try LDAPConfiguration.fromEnvironment(env)
    }

    private func failure(_ env: [String: String]) -> LDAPError? {
        do {
            _ = try parse(env)
            return nil
        } catch {
            return error
        }
    }

    @Test func unsetURLMeansLDAPIsOff() throws {
        #expect(try parse([:]) == nil)
        #expect(try parse(["GYRE_LDAP_URL": "", "GYRE_LDAP_SEARCH_BASE": "x"]) == nil)
    }

    @Test func minimalConfigurationTakesDefaults() throws {
        let config = try #require(try parse(minimal))
        #expect(config.host == "ldap.example.org")
        #expect(config.port == 389)
        #expect(config.security == .plain)
        #expect(config.bindDN.isEmpty && config.bindPassword.isEmpty)
        #expect(config.userAttribute == "uid" && config.nameAttribute == "cn" && config.emailAttribute == "mail")
        #expect(config.groupBase == nil && config.caCertificateFile == nil)
        #expect(config.timeoutSeconds == 5)
        #expect(config.url == "ldap://ldap.example.org:389")
    }

    @Test func fullConfiguration() throws {
        let files = try Files()
        var env = minimal
        env["GYRE_LDAP_URL"] = "ldaps://10.0.0.5:1636/"
        env["GYRE_LDAP_BIND_DN"] = "cn=reader,dc=example,dc=org"
        env["GYRE_LDAP_BIND_PASSWORD_FILE"] = files.password
        env["GYRE_LDAP_USER_ATTRIBUTE"] = "sAMAccountName"
        env["GYRE_LDAP_NAME_ATTRIBUTE"] = "displayName"
        env["GYRE_LDAP_EMAIL_ATTRIBUTE"] = "mail"
        env["GYRE_LDAP_GROUP_BASE"] = "ou=groups,dc=example,dc=org"
        env["GYRE_LDAP_CA_FILE"] = files.ca
        env["GYRE_LDAP_TIMEOUT_SECONDS"] = "2.5"
        let config = try #require(try parse(env))
        #expect(config == LDAPConfiguration(
            host: "10.0.0.5", port: 1636, security: .ldaps, bindDN: "cn=reader,dc=example,dc=org",
            bindPassword: "s3cret", searchBase: "ou=people,dc=example,dc=org", userAttribute: "sAMAccountName",
            nameAttribute: "displayName", emailAttribute: "mail", groupBase: "ou=groups,dc=example,dc=org",
            caCertificateFile: files.ca, timeoutSeconds: 2.5))
        #expect(!config.description.contains("s3cret"))
        #expect(config.description.contains("cn=reader,dc=example,dc=org"))
    }

    @Test func startTLSAndDefaultPorts() throws {
        var env = minimal
        env["GYRE_LDAP_STARTTLS"] = "1"
        let startTLS = try #require(try parse(env))
        #expect(startTLS.security == .startTLS && startTLS.port == 389)
        env["GYRE_LDAP_STARTTLS"] = "0"
        env["GYRE_LDAP_URL"] = "LDAPS://ldap.example.org"
        let ldaps = try #require(try parse(env))
        #expect(ldaps.security == .ldaps && ldaps.port == 636)
        env["GYRE_LDAP_URL"] = "ldap://[::1]:3890"
        let v6 = try #require(try parse(env))
        #expect(v6.host == "::1" && v6.port == 3890 && v6.url == "ldap://[::1]:3890")
    }

    @Test func passwordFileLosesOnlyTrailingNewlines() throws {
        let files = try Files()
        try files.write("password", "  pass word \r\n\n")
        var env = minimal
        env["GYRE_LDAP_BIND_DN"] = "cn=reader,dc=example,dc=org"
        env["GYRE_LDAP_BIND_PASSWORD_FILE"] = files.password
        #expect(try parse(env)?.bindPassword == "  pass word ")
    }

    @Test(arguments: [
        (["GYRE_LDAP_URL": "http://ldap.example.org"], "scheme"),
        (["GYRE_LDAP_URL": "ldap://ldap.example.org:0"], "port"),
        (["GYRE_LDAP_URL": "ldap://ldap.example.org:99999"], "port"),
        (["GYRE_LDAP_URL": "ldap://ldap.example.org:abc"], "port"),
        (["GYRE_LDAP_URL": "ldap://ldap.example.org/dc=example?uid"], "path"),
        (["GYRE_LDAP_URL": "ldap://user:pw@ldap.example.org"], "credentials"),
        (["GYRE_LDAP_URL": "ldap://:389"], "host is missing"),
        (["GYRE_LDAP_URL": "ldaps://ldap.example.org", "GYRE_LDAP_STARTTLS": "1"], "already uses TLS"),
        (["GYRE_LDAP_STARTTLS": "maybe"], "GYRE_LDAP_STARTTLS"),
        (["GYRE_LDAP_SEARCH_BASE": ""], "GYRE_LDAP_SEARCH_BASE is required"),
        (["GYRE_LDAP_TIMEOUT_SECONDS": "0"], "GYRE_LDAP_TIMEOUT_SECONDS"),
        (["GYRE_LDAP_TIMEOUT_SECONDS": "soon"], "GYRE_LDAP_TIMEOUT_SECONDS"),
        (["GYRE_LDAP_USER_ATTRIBUTE": "uid)(x"], "user attribute"),
        (["GYRE_LDAP_BIND_DN": "cn=reader,dc=example,dc=org"], "has no password"),
        (["GYRE_LDAP_BIND_PASSWORD": "hunter2"], "GYRE_LDAP_BIND_PASSWORD_FILE"),
        (["GYRE_LDAP_BIND_DN": "cn=r", "GYRE_LDAP_BIND_PASSWORD_FILE": "/nonexistent/pw"], "cannot read"),
        (["GYRE_LDAP_CA_FILE": "/nonexistent/ca.pem", "GYRE_LDAP_STARTTLS": "1"], "cannot read the LDAP CA file"),
    ])
    func badValuesAreExplained(overrides: [String: String], mentions: String) throws {
        let env = minimal.merging(overrides) { $1 }
        let error = try #require(failure(env))
        #expect(error.code == .configuration)
        #expect(error.message.contains(mentions), "\(error.message)")
        #expect(!error.message.contains("hunter2"))
    }

    @Test func caFileNeedsTLS() throws {
        let files = try Files()
        var env = minimal
        env["GYRE_LDAP_CA_FILE"] = files.ca
        #expect(failure(env)?.message.contains("does not use TLS") == true)
        env["GYRE_LDAP_STARTTLS"] = "yes"
        #expect(try parse(env)?.caCertificateFile == files.ca)
    }

    @Test func emptyPasswordFileIsRefused() throws {
        let files = try Files()
        try files.write("password", "\n")
        var env = minimal
        env["GYRE_LDAP_BIND_DN"] = "cn=reader,dc=example,dc=org"
        env["GYRE_LDAP_BIND_PASSWORD_FILE"] = files.password
        #expect(failure(env)?.message.contains("is empty") == true)
    }

    @Test func codableRoundTripAndDefaults() throws {
        let config = LDAPConfiguration(host: "ldap.example.org", security: .startTLS, searchBase: "dc=example,dc=org",
                                       groupBase: "ou=groups,dc=example,dc=org")
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(LDAPConfiguration.self, from: data) == config)
        let sparse = #"{"host":"ldap.example.org","security":"ldaps","searchBase":"dc=example,dc=org"}"#
        let decoded = try JSONDecoder().decode(LDAPConfiguration.self, from: Data(sparse.utf8))
        #expect(decoded.port == 636 && decoded.userAttribute == "uid" && decoded.timeoutSeconds == 5)
        #expect(decoded.bindDN.isEmpty && decoded.groupBase == nil)
    }
}
