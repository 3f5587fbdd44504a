import Foundation
@testable import GyreLDAP

/// The throwaway slapd of deploy/scripts/start-slapd.sh, found through the
/// ldap.env it writes (GYRE_LDAP_* / GYRE_SLAPD_* in the process environment win).
/// Not running is a failure, never a skip.
enum Slapd {
    /// Tests/GyreLDAPTests/TestSupport.swift → the repository root.
    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static var home: String {
        ProcessInfo.processInfo.environment["GYRE_HOME"] ?? repoRoot.appendingPathComponent(".run").path
    }
    static var envFile: String { home + "/slapd/ldap.env" }

    struct NotRunning: Error, CustomStringConvertible {
        var reason: String
        var description: String {
            "\(reason): run deploy/scripts/start-slapd.sh first (it starts slapd and writes \(Slapd.envFile))"
        }
    }

    static func environment() throws -> [String: String] {
        var env: [String: String] = [:]
        if let text = try? String(contentsOfFile: envFile, encoding: .utf8) {
            for line in text.split(separator: "\n") where !line.hasPrefix("#") {
                guard let eq = line.firstIndex(of: "=") else { continue }
                var value = String(line[line.index(after: eq)...])
                if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
                env[String(line[..<eq])] = value
            }
        }
        for (key, value) in ProcessInfo.processInfo.environment
        where key.hasPrefix("GYRE_LDAP_") || key.hasPrefix("GYRE_SLAPD_") {
            env[key] = value
        }
        guard env["GYRE_LDAP_URL"] != nil else { throw NotRunning(reason: "no \(envFile) and no GYRE_LDAP_URL") }
        return env
    }

    /// The configuration Gyre would use (StartTLS with the test CA), checked to be reachable.
    static func configuration() throws -> LDAPConfiguration {
        let env = try environment()
        guard let config = try LDAPConfiguration.fromEnvironment(env) else {
            throw NotRunning(reason: "GYRE_LDAP_URL is empty")
        }
        guard TCPProbe.canConnect(host: config.host, port: config.port, timeoutSeconds: 2) else {
            throw NotRunning(reason: "slapd is not answering on \(config.url)")
        }
        return config
    }

    /// The same directory over LDAPS, with the test CA.
    static func ldapsConfiguration() throws -> LDAPConfiguration {
        var config = try configuration()
        let env = try environment()
        guard let url = env["GYRE_SLAPD_LDAPS_URL"] else { throw NotRunning(reason: "GYRE_SLAPD_LDAPS_URL is not set") }
        let (security, host, port) = try LDAPConfiguration.parseURL(url)
        config.security = security
        config.host = host
        config.port = port ?? security.defaultPort
        guard TCPProbe.canConnect(host: config.host, port: config.port, timeoutSeconds: 2) else {
            throw NotRunning(reason: "slapd is not answering on \(config.url)")
        }
        return config
    }

    /// A CA that signed nothing the server has.
    static func wrongCA() throws -> String {
        guard let path = try environment()["GYRE_SLAPD_WRONG_CA_FILE"] else {
            throw NotRunning(reason: "GYRE_SLAPD_WRONG_CA_FILE is not set")
        }
        return path
    }
}

/// The LDAPError `body` throws, or nil when it succeeds (or throws something else).
func ldapError<T>(_ body: () async throws -> T) async -> LDAPError? {
    do {
        _ = try await body()
        return nil
    } catch {
        return error as? LDAPError
    }
}
