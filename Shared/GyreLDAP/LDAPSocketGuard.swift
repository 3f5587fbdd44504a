import CLDAP
import Dispatch
import Glibc
import Synchronization

/// A backstop for the one blocking step libldap does not time-limit: the TLS
/// handshake of an `ldaps://` connection (and after StartTLS) reads a blocking
/// socket with no deadline, so a server that accepts and stays silent (a hung
/// slapd, a black-holing proxy) would hold the thread forever.
///
/// libldap reports each socket it opens and closes through LDAP_OPT_CONNECT_CB;
/// while an operation runs, a timer may shut that socket down, which makes the
/// blocked read return and the operation fail. The lock keeps the shutdown
/// from racing libldap's close (the close callback runs before the close).
final class LDAPSocketGuard: Sendable {
    private struct State {
        var fd: Int32 = -1
        var armed = false
        var expired = false
    }

    private let state = Mutex(State())

    /// True once the timer shut a socket down.
    var expired: Bool { state.withLock { $0.expired } }

    /// Runs `body` (one libldap call) with the socket shut down after `seconds`.
    func run<T>(deadline seconds: Double, _ body: () -> T) -> T {
        state.withLock { $0.armed = true }
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + seconds)
        timer.setEventHandler { [self] in expire() }
        timer.resume()
        defer {
            state.withLock { $0.armed = false }
            timer.cancel()
        }
        return body()
    }

    private func expire() {
        state.withLock {
            guard $0.armed, $0.fd >= 0 else { return }
            _ = shutdown($0.fd, Int32(SHUT_RDWR))
            $0.expired = true
        }
    }

    fileprivate func attach(_ fd: Int32) { state.withLock { $0.fd = fd } }
    fileprivate func detach() { state.withLock { $0.fd = -1 } }

    /// The callbacks to register with LDAP_OPT_CONNECT_CB; `lc_arg` points at
    /// this guard, which must outlive the handle.
    func callbacks() -> ldap_conncb {
        ldap_conncb(lc_add: socketOpened, lc_del: socketClosing,
                    lc_arg: Unmanaged.passUnretained(self).toOpaque())
    }
}

private func socketGuard(_ context: UnsafeMutablePointer<ldap_conncb>?) -> LDAPSocketGuard? {
    guard let arg = context?.pointee.lc_arg else { return nil }
    return Unmanaged<LDAPSocketGuard>.fromOpaque(arg).takeUnretainedValue()
}

/// libldap: TCP connected, TLS not started yet.
private func socketOpened(_: OpaquePointer?, _ sockbuf: OpaquePointer?, _: UnsafeMutablePointer<LDAPURLDesc>?,
                          _: UnsafeMutablePointer<sockaddr>?, _ context: UnsafeMutablePointer<ldap_conncb>?) -> Int32 {
    var fd: Int32 = -1
    if let sockbuf { _ = ber_sockbuf_ctrl(sockbuf, LBER_SB_OPT_GET_FD, &fd) }
    if fd >= 0 { socketGuard(context)?.attach(fd) }
    return 0
}

/// libldap: about to close the socket (called for every registered callback).
private func socketClosing(_: OpaquePointer?, _: OpaquePointer?, _ context: UnsafeMutablePointer<ldap_conncb>?) {
    socketGuard(context)?.detach()
}
