/// Who may do what: roles per organisation and per project, installation
/// admins above them, and project API tokens. Pure: the permissions service
/// loads the facts and asks `Access.level`; tests need no I/O.
public enum OrgRole: String, Sendable, Codable, CaseIterable, Comparable {
    case viewer, member, admin

    public static func < (a: OrgRole, b: OrgRole) -> Bool { a.rank < b.rank }
    var rank: Int { OrgRole.allCases.firstIndex(of: self)! }

    /// What the role grants on each project of the organisation.
    public var projectLevel: AccessLevel {
        switch self {
        case .viewer: return .read
        case .member: return .write
        case .admin: return .admin
        }
    }
}

public enum ProjectRole: String, Sendable, Codable, CaseIterable {
    case read, write, admin

    public var level: AccessLevel {
        switch self {
        case .read: return .read
        case .write: return .write
        case .admin: return .admin
        }
    }
}

/// A caller's standing on one project, lowest first.
public enum AccessLevel: String, Sendable, Codable, CaseIterable, Comparable {
    /// Nothing at all: the project is not visible.
    case none
    /// Only the project's pipeline statuses (a project token with scope `status`).
    case status
    /// Read everything: pipelines, workflows, jobs, output, artifacts, tests, settings.
    case read
    /// Trigger, rerun, cancel, approve.
    case write
    /// Change settings, SSH keys, webhook secret, environment variables, members.
    case admin

    public static func < (a: AccessLevel, b: AccessLevel) -> Bool { a.rank < b.rank }
    var rank: Int { AccessLevel.allCases.firstIndex(of: self)! }
}

/// What a route does to a project.
public enum ProjectAction: String, Sendable, Codable, CaseIterable {
    /// A pipeline's or a workflow's status (what a status badge shows).
    case viewStatus = "view-status"
    /// Builds: jobs, steps, output, artifacts, tests, settings.
    case viewBuilds = "view-builds"
    /// Trigger, rerun, cancel, approve.
    case build
    /// Settings, SSH keys, webhook secret, env vars, project members.
    case manage

    public var required: AccessLevel {
        switch self {
        case .viewStatus: return .status
        case .viewBuilds: return .read
        case .build: return .write
        case .manage: return .admin
        }
    }

    /// The sentence a 403 uses.
    public var phrase: String {
        switch self {
        case .viewStatus, .viewBuilds: return "read"
        case .build: return "trigger, rerun, cancel or approve builds of"
        case .manage: return "change the settings of"
        }
    }
}

/// What the permissions service knows about a caller and a project.
public struct AccessFacts: Sendable, Equatable, Codable {
    public var installationAdmin: Bool
    public var active: Bool
    public var orgRole: OrgRole?
    public var projectRole: ProjectRole?

    public init(installationAdmin: Bool = false, active: Bool = true, orgRole: OrgRole? = nil, projectRole: ProjectRole? = nil) {
        self.installationAdmin = installationAdmin
        self.active = active
        self.orgRole = orgRole
        self.projectRole = projectRole
    }
}

public enum Access {
    /// A user's level on a project: installation admins have every right; else
    /// the higher of what the organisation role and the project role grant.
    public static func level(_ facts: AccessFacts) -> AccessLevel {
        guard facts.active else { return .none }
        if facts.installationAdmin { return .admin }
        return max(facts.orgRole?.projectLevel ?? .none, facts.projectRole?.level ?? .none)
    }

    /// A project API token's level: its scope on its own project, nothing elsewhere.
    /// Scopes as CircleCI names them: `status`, `view-builds`, `all`.
    public static func tokenLevel(scope: String?, tokenProject: String, target: String) -> AccessLevel {
        guard tokenProject == target else { return .none }
        switch scope {
        case "all": return .admin
        case "view-builds": return .read
        case "status": return .status
        default: return .none
        }
    }

    public static func allows(_ level: AccessLevel, _ action: ProjectAction) -> Bool {
        level >= action.required
    }

    /// What an organisation role may do to the organisation itself.
    public static func mayManageOrganization(installationAdmin: Bool, role: OrgRole?) -> Bool {
        installationAdmin || role == .admin
    }

    public static func mayReadOrganization(installationAdmin: Bool, role: OrgRole?) -> Bool {
        installationAdmin || role != nil
    }

    /// Following a project: an installation admin always; in an organisation
    /// that does not exist yet, any user (who becomes its admin); in an existing one, its members and admins.
    public static func mayFollow(installationAdmin: Bool, organizationExists: Bool, role: OrgRole?) -> Bool {
        installationAdmin || !organizationExists || (role.map { $0 >= .member } ?? false)
    }
}
