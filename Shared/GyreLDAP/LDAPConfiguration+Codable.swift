extension LDAPConfiguration {
    enum CodingKeys: String, CodingKey {
        case host, port, security, bindDN, bindPassword, searchBase, userAttribute, nameAttribute,
             emailAttribute, groupBase, caCertificateFile, timeoutSeconds
    }

    /// Decodes a stored configuration; only `host` and `searchBase` are
    /// required, everything else takes the same defaults as the initialiser.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let security = try c.decodeIfPresent(Security.self, forKey: .security) ?? .plain
        self.init(host: try c.decode(String.self, forKey: .host),
                  port: try c.decodeIfPresent(Int.self, forKey: .port),
                  security: security,
                  bindDN: try c.decodeIfPresent(String.self, forKey: .bindDN) ?? "",
                  bindPassword: try c.decodeIfPresent(String.self, forKey: .bindPassword) ?? "",
                  searchBase: try c.decode(String.self, forKey: .searchBase),
                  userAttribute: try c.decodeIfPresent(String.self, forKey: .userAttribute) ?? "uid",
                  nameAttribute: try c.decodeIfPresent(String.self, forKey: .nameAttribute) ?? "cn",
                  emailAttribute: try c.decodeIfPresent(String.self, forKey: .emailAttribute) ?? "mail",
                  groupBase: try c.decodeIfPresent(String.self, forKey: .groupBase),
                  caCertificateFile: try c.decodeIfPresent(String.self, forKey: .caCertificateFile),
                  timeoutSeconds: try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? 5)
    }
}
