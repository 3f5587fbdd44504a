import Glibc

/// Whether a TCP connection to host:port can be opened within a timeout.
///
/// libldap reports a failed LDAPS handshake exactly like a refused connection
/// ("Can't contact LDAP server"); this tells the two apart for the error message.
enum TCPProbe {
    static func canConnect(host: String, port: Int, timeoutSeconds: Double) -> Bool {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let list else { return false }
        defer { freeaddrinfo(list) }
        var candidate: UnsafeMutablePointer<addrinfo>? = list
        while let info = candidate {
            if connect(info.pointee, timeoutMilliseconds: Int32(max(1, timeoutSeconds * 1000))) { return true }
            candidate = info.pointee.ai_next
        }
        return false
    }

    private static func connect(_ info: addrinfo, timeoutMilliseconds: Int32) -> Bool {
        let fd = socket(info.ai_family, info.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), info.ai_protocol)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        if Glibc.connect(fd, info.ai_addr, info.ai_addrlen) == 0 { return true }
        guard errno == EINPROGRESS else { return false }
        var pollfd = Glibc.pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        guard poll(&pollfd, 1, timeoutMilliseconds) == 1 else { return false }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length) == 0 else { return false }
        return error == 0
    }
}
