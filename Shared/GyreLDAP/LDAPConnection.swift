import CLDAP
import Glibc

/// One libldap handle for one call: opened, used by one thread, unbound on deinit.
///
/// Not `Sendable` on purpose: a libldap handle must not be used by two threads
/// at once. Methods return libldap's result codes; ``LDAPSession`` turns them
/// into ``LDAPError``s with context. Nothing here sees a password except
/// ``simpleBind(dn:password:)``, which zeroes its copy afterwards.
final class LDAPConnection {
    /// One search result entry: its DN and the requested attributes' values,
    /// keyed by the attribute name as requested, lowercased.
    struct Entry {
        var dn: String
        var attributes: [String: [String]]

        func values(_ attribute: String) -> [String] { attributes[attribute.lowercased()] ?? [] }
    }

    let url: String
    private let ld: OpaquePointer
    /// libldap's own timeouts fire first; this is the backstop (see ``LDAPSocketGuard``).
    private let deadline: Double
    private let socketGuard = LDAPSocketGuard()
    /// Registered with LDAP_OPT_CONNECT_CB, which keeps the pointer: freed after unbind.
    private let callbacks: UnsafeMutablePointer<ldap_conncb>

    private init(url: String, handle: OpaquePointer, timeoutSeconds: Double) {
        self.url = url
        self.ld = handle
        deadline = 2 * timeoutSeconds + 1
        callbacks = .allocate(capacity: 1)
        callbacks.initialize(to: socketGuard.callbacks())
    }

    deinit {
        // Also closes the socket; safe on a handle that never connected.
        _ = ldap_unbind_ext_s(ld, nil, nil)
        callbacks.deallocate()
    }

    /// True when the backstop had to cut a silent connection.
    var timedOut: Bool { socketGuard.expired }

    /// Creates the handle and sets its options; libldap connects lazily, on the first operation.
    static func open(_ config: LDAPConfiguration) throws(LDAPError) -> LDAPConnection {
        _ = LDAPLibrary.initialized
        var handle: OpaquePointer?
        let rc = ldap_initialize(&handle, config.url)
        guard rc == LDAP_SUCCESS, let handle else {
            throw LDAPError(.configuration, "invalid LDAP URL \(config.url): \(LDAPConnection.string(for: rc))")
        }
        let connection = LDAPConnection(url: config.url, handle: handle, timeoutSeconds: config.timeoutSeconds)
        try connection.configure(config)
        return connection
    }

    private func configure(_ config: LDAPConfiguration) throws(LDAPError) {
        var version = Int32(LDAP_VERSION3)
        try set(LDAP_OPT_PROTOCOL_VERSION, &version, "protocol version")
        var timeout = LDAPConnection.timeval(config.timeoutSeconds)
        try set(LDAP_OPT_NETWORK_TIMEOUT, &timeout, "network timeout")
        try set(LDAP_OPT_TIMEOUT, &timeout, "timeout")
        // A referral would be followed with an anonymous bind to another server: never.
        try set(LDAP_OPT_REFERRALS, nil, "referrals")
        try set(LDAP_OPT_CONNECT_CB, callbacks, "connect callback")
        guard config.security != .plain else { return }
        if let ca = config.caCertificateFile {
            let rc = ca.withCString { ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, $0) }
            guard rc == LDAP_OPT_SUCCESS else { throw LDAPError(.configuration, "cannot use the LDAP CA file \(ca)") }
        }
        var demand = Int32(LDAP_OPT_X_TLS_DEMAND)
        try set(LDAP_OPT_X_TLS_REQUIRE_CERT, &demand, "TLS certificate checking")
        // A TLS context of this handle's own, built from the options above (the
        // global one would ignore them). 0: a client context.
        var isServer: Int32 = 0
        guard ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &isServer) == LDAP_OPT_SUCCESS else {
            let ca = config.caCertificateFile.map { " from the CA file \($0)" } ?? ""
            throw LDAPError(.tls, "cannot set up TLS for \(url)\(ca): \(diagnostic() ?? "libldap refused the TLS settings")")
        }
    }

    private func set(_ option: Int32, _ value: UnsafeRawPointer?, _ what: String) throws(LDAPError) {
        guard ldap_set_option(ld, option, value) == LDAP_OPT_SUCCESS else {
            throw LDAPError(.configuration, "libldap refused the LDAP \(what) option")
        }
    }

    func startTLS() -> Int32 {
        socketGuard.run(deadline: deadline) { ldap_start_tls_s(ld, nil, nil) }
    }

    /// A simple bind. Callers never pass an empty password (that would be an
    /// unauthenticated bind, which servers treat as anonymous success).
    func simpleBind(dn: String, password: String) -> Int32 {
        var secret = Array(password.utf8)
        defer { for i in secret.indices { secret[i] = 0 } }
        return secret.withUnsafeMutableBytes { bytes in
            var credential = berval(bv_len: ber_len_t(bytes.count),
                                    bv_val: bytes.baseAddress?.assumingMemoryBound(to: CChar.self))
            return socketGuard.run(deadline: deadline) { ldap_sasl_bind_s(ld, dn, nil, &credential, nil, nil, nil) }
        }
    }

    /// Runs a search and returns its result code with the entries received
    /// (partial ones too, e.g. with LDAP_SIZELIMIT_EXCEEDED).
    func search(base: String, scope: Int32, filter: String, attributes: [String],
                sizeLimit: Int32, timeoutSeconds: Double) -> (rc: Int32, entries: [Entry]) {
        var cAttributes: [UnsafeMutablePointer<CChar>?] = attributes.map { strdup($0) } + [nil]
        defer { for pointer in cAttributes { free(pointer) } }
        var timeout = LDAPConnection.timeval(timeoutSeconds)
        var result: OpaquePointer?
        let rc = cAttributes.withUnsafeMutableBufferPointer { attrs in
            socketGuard.run(deadline: deadline) {
                ldap_search_ext_s(ld, base, scope, filter, attrs.baseAddress, 0, nil, nil, &timeout, sizeLimit, &result)
            }
        }
        // Even a failed search may hand back a message to free.
        defer { if let result { _ = ldap_msgfree(result) } }
        var entries: [Entry] = []
        var entry = result.flatMap { ldap_first_entry(ld, $0) }
        while let current = entry {
            entries.append(read(current, attributes))
            entry = ldap_next_entry(ld, current)
        }
        return (rc, entries)
    }

    private func read(_ entry: OpaquePointer, _ attributes: [String]) -> Entry {
        var dn = ""
        if let cDN = ldap_get_dn(ld, entry) {
            dn = String(cString: cDN)
            ldap_memfree(cDN)
        }
        var values: [String: [String]] = [:]
        for attribute in attributes {
            guard let list = ldap_get_values_len(ld, entry, attribute) else { continue }
            defer { ldap_value_free_len(list) }
            var strings: [String] = []
            var index = 0
            while let value = list[index] {
                let bytes = UnsafeRawBufferPointer(start: value.pointee.bv_val, count: Int(value.pointee.bv_len))
                strings.append(String(decoding: bytes, as: UTF8.self))
                index += 1
            }
            values[attribute.lowercased()] = strings
        }
        return Entry(dn: dn, attributes: values)
    }

    /// The server's or libldap's detail for the last failure, if any.
    func diagnostic() -> String? {
        var message: UnsafeMutablePointer<CChar>?
        guard ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &message) == LDAP_OPT_SUCCESS,
              let message else { return nil }
        defer { ldap_memfree(message) }
        let text = String(cString: message)
        // GnuTLS failures come back as this placeholder, which helps nobody.
        return text.isEmpty || text == "(unknown error code)" ? nil : text
    }

    /// libldap's text for a result code, plus the diagnostic when there is one.
    func describe(_ rc: Int32) -> String {
        let text = LDAPConnection.string(for: rc)
        guard let detail = diagnostic(), detail != text else { return text }
        return "\(text) (\(detail))"
    }

    static func string(for rc: Int32) -> String {
        guard let text = ldap_err2string(rc) else { return "LDAP error \(rc)" }
        return String(cString: text)
    }

    static func timeval(_ seconds: Double) -> Glibc.timeval {
        let whole = seconds.rounded(.down)
        return Glibc.timeval(tv_sec: Int(whole), tv_usec: Int((seconds - whole) * 1_000_000))
    }
}

/// Process-wide set-up, once, before the first handle.
enum LDAPLibrary {
    static let initialized: Bool = {
        // libldap writes to its sockets with write(2): a server that has closed
        // the connection would kill the process with SIGPIPE. Ignore it, unless
        // the program already chose a handler.
        var current = sigaction()
        if sigaction(SIGPIPE, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil { // nil: SIG_DFL
            _ = signal(SIGPIPE, SIG_IGN)
        }
        // libldap's global set-up (ldap.conf, defaults) is lazy and not safe to
        // race; touching it here, once, keeps concurrent first calls apart.
        var version: Int32 = 0
        return ldap_get_option(nil, LDAP_OPT_PROTOCOL_VERSION, &version) == LDAP_OPT_SUCCESS
    }()
}

