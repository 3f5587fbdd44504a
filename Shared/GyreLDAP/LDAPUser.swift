/// A user the directory authenticated.
public struct LDAPUser: Sendable, Equatable {
    /// The user's entry, e.g. `uid=alice,ou=people,dc=example,dc=org`.
    public var dn: String
    /// The login as the directory spells it (the user attribute's value).
    public var login: String
    /// The display name (name attribute), or the login when the entry has none.
    public var name: String
    /// Every value of the email attribute, in directory order.
    public var emails: [String]
    /// The `cn` of each group under the group base that lists the user, sorted.
    public var groups: [String]

    public init(dn: String, login: String, name: String, emails: [String], groups: [String]) {
        self.dn = dn
        self.login = login
        self.name = name
        self.emails = emails
        self.groups = groups
    }
}
