import Foundation
import GyreLDAP
import GyreServiceKit
import Logging

/// LDAP sign-in (GyreLDAP over libldap), configured from GYRE_LDAP_*.
/// A wrong password, and a login the directory does not have under the
/// search base, are the same refusal, so sign-in does not tell who exists.
struct LDAPDirectory: DirectorySignIn {
    let authenticator: LDAPAuthenticator
    let logger: Logger

    /// The directory of the environment; nil when GYRE_LDAP_URL is unset. A bad setting is reported by `/status`.
    static func fromEnvironment(_ environment: ServiceEnvironment, logger: Logger) -> LDAPDirectory? {
        do {
            guard let configuration = try LDAPConfiguration.fromEnvironment(environment.all(prefix: "GYRE_LDAP_")) else {
                return nil
            }
            logger.info("LDAP sign-in enabled", metadata: ["url": "\(configuration.url)"])
            return LDAPDirectory(authenticator: LDAPAuthenticator(configuration: configuration), logger: logger)
        } catch {
            environment.problem("GYRE_LDAP_*: \(error.message)")
            return nil
        }
    }

    func authenticate(login: String, password: String) async throws(DirectoryFailure) -> DirectoryUser {
        do {
            let user = try await authenticator.authenticate(login: login, password: password)
            return DirectoryUser(login: user.login, name: user.name, emails: user.emails, dn: user.dn, groups: user.groups)
        } catch {
            switch error.code {
            case .invalidCredentials, .userNotFound, .ambiguousUser:
                logger.info("LDAP sign-in refused", metadata: ["login": "\(login)", "reason": "\(error.code.rawValue)"])
                throw .rejected
            default:
                logger.error("LDAP directory unusable", metadata: ["error": "\(error.message)"])
                throw .unavailable(error.message)
            }
        }
    }

    func testConnection() async throws -> String {
        try await authenticator.testConnection()
    }
}
