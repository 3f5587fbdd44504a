import Dispatch

/// libldap's synchronous calls block a thread for a whole network round trip
/// (or a timeout), so they run on this queue's threads, never on Swift's
/// cooperative pool.
enum LDAPBlocking {
    private static let queue = DispatchQueue(label: "gyre.ldap", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws(LDAPError) -> T) async throws(LDAPError) -> T {
        let result: Result<T, LDAPError> = await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: Result(catching: work)) }
        }
        return try result.get()
    }
}
