import Foundation
import GyreModel
import Logging
import PostgresNIO

/// A member of an organisation or a project, as listed.
public struct MemberRecord: Sendable, Equatable {
    public var userId: UUID
    public var login: String
    public var name: String
    public var role: String
}

/// A group of users: defined by an organisation's admins, or mirrored from LDAP at sign-in.
public struct GroupRecord: Sendable, Equatable {
    public var id: UUID
    public var organizationId: UUID?
    public var name: String
    public var source: String
    public var members: [String]
}

/// Roles per organisation and per project, and groups (permissions service data).
public struct RoleStore: Sendable {
    public let database: Database

    public init(database: Database) {
        self.database = database
    }

    /// The organisation `gh/acme` (slug `vcs/org`), if any project of it is followed.
    public func organization(slug: String) async throws -> (id: UUID, slug: String, name: String, vcsType: String)? {
        let rows = try await database.query("SELECT id, slug, name, vcs_type FROM organizations WHERE slug = \(slug)")
        for try await (id, slug, name, vcs) in rows.decode((UUID, String, String, String).self) { return (id, slug, name, vcs) }
        return nil
    }

    /// Everything `Access.level` needs for one user and one project (or one organisation when `project` is nil).
    public func facts(user: UUID, organization: String, project: String?) async throws -> AccessFacts {
        let rows = try await database.query("""
            SELECT u.admin, u.active,
                   (SELECT m.role FROM org_members m JOIN organizations o ON o.id = m.organization_id
                     WHERE o.slug = \(organization) AND m.user_id = u.id),
                   (SELECT p.role FROM project_members p WHERE p.project_slug = \(project) AND p.user_id = u.id)
            FROM users u WHERE u.id = \(user)
            """)
        for try await (admin, active, org, project) in rows.decode((Bool, Bool, String?, String?).self) {
            return AccessFacts(installationAdmin: admin, active: active, orgRole: org.flatMap(OrgRole.init(rawValue:)),
                               projectRole: project.flatMap(ProjectRole.init(rawValue:)))
        }
        return AccessFacts(active: false)
    }

    /// Sets (or, with nil, removes) a user's role in an organisation (audited as `organization.member.update`).
    /// False when the organisation is unknown.
    public func setOrgRole(organization: String, user: UUID, role: OrgRole?, cause: AuditCause? = nil) async throws -> Bool {
        guard let org = try await self.organization(slug: organization) else { return false }
        try await database.transaction { connection in
            if let role {
                try await connection.run("""
                    INSERT INTO org_members (organization_id, user_id, role) VALUES (\(org.id), \(user), \(role.rawValue))
                    ON CONFLICT (organization_id, user_id) DO UPDATE SET role = EXCLUDED.role
                    """, database.logger)
            } else {
                try await connection.run("DELETE FROM org_members WHERE organization_id = \(org.id) AND user_id = \(user)",
                                         database.logger)
            }
            if let cause {
                try await AuditEvents.record(AuditEvent(
                    action: "organization.member.update", actor: cause.actor, target: .user(user, name: nil),
                    scope: .organization(org.id, name: org.name),
                    payload: ["organization": .string(organization), "role": role.map { .string($0.rawValue) } ?? .null],
                    request: cause.request), on: connection, logger: database.logger)
            }
        }
        return true
    }

    /// The first member of a new organisation becomes its admin (when it has none yet).
    /// True when the user became its admin.
    public func adoptOrganization(_ organization: String, user: UUID) async throws -> Bool {
        let rows = try await database.query("""
            INSERT INTO org_members (organization_id, user_id, role)
            SELECT o.id, \(user), 'admin' FROM organizations o
            WHERE o.slug = \(organization) AND NOT EXISTS (SELECT 1 FROM org_members m WHERE m.organization_id = o.id)
            ON CONFLICT DO NOTHING RETURNING user_id
            """)
        for try await _ in rows { return true }
        return false
    }

    /// Sets (or, with nil, removes) a user's role on a project (audited as `project.member.update`).
    public func setProjectRole(project: String, user: UUID, role: ProjectRole?, cause: AuditCause? = nil) async throws {
        try await database.transaction { connection in
            if let role {
                try await connection.run("""
                    INSERT INTO project_members (project_slug, user_id, role) VALUES (\(project), \(user), \(role.rawValue))
                    ON CONFLICT (project_slug, user_id) DO UPDATE SET role = EXCLUDED.role
                    """, database.logger)
            } else {
                try await connection.run("DELETE FROM project_members WHERE project_slug = \(project) AND user_id = \(user)",
                                         database.logger)
            }
            if let cause {
                try await AuditEvents.record(AuditEvent(
                    action: "project.member.update", actor: cause.actor, target: .user(user, name: nil),
                    payload: ["project_slug": .string(project), "role": role.map { .string($0.rawValue) } ?? .null],
                    request: cause.request), on: connection, logger: database.logger)
            }
        }
    }

    public func orgMembers(_ organization: String) async throws -> [MemberRecord] {
        try await members(query: """
            SELECT u.id, u.login, u.name, m.role FROM org_members m JOIN organizations o ON o.id = m.organization_id
            JOIN users u ON u.id = m.user_id WHERE o.slug = \(organization) ORDER BY u.login
            """)
    }

    public func projectMembers(_ project: String) async throws -> [MemberRecord] {
        try await members(query: """
            SELECT u.id, u.login, u.name, m.role FROM project_members m JOIN users u ON u.id = m.user_id
            WHERE m.project_slug = \(project) ORDER BY u.login
            """)
    }

    private func members(query: PostgresQuery) async throws -> [MemberRecord] {
        var result: [MemberRecord] = []
        for try await (id, login, name, role) in try await database.query(query).decode((UUID, String, String, String).self) {
            result.append(MemberRecord(userId: id, login: login, name: name, role: role))
        }
        return result
    }

    /// The organisations a user belongs to (slug, role).
    public func memberships(user: UUID) async throws -> [(organization: String, role: OrgRole)] {
        let rows = try await database.query("""
            SELECT o.slug, m.role FROM org_members m JOIN organizations o ON o.id = m.organization_id
            WHERE m.user_id = \(user) ORDER BY o.slug
            """)
        var result: [(String, OrgRole)] = []
        for try await (slug, role) in rows.decode((String, String).self) {
            if let role = OrgRole(rawValue: role) { result.append((slug, role)) }
        }
        return result
    }

    // MARK: groups

    public func groups(organization: UUID?) async throws -> [GroupRecord] {
        let rows = try await database.query("""
            SELECT g.id, g.organization_id, g.name, g.source,
                   COALESCE(array_agg(u.login ORDER BY u.login) FILTER (WHERE u.login IS NOT NULL), '{}')
            FROM user_groups g LEFT JOIN user_group_members gm ON gm.group_id = g.id LEFT JOIN users u ON u.id = gm.user_id
            WHERE g.organization_id IS NOT DISTINCT FROM \(organization) OR g.source = 'ldap'
            GROUP BY g.id ORDER BY g.source, g.name
            """)
        var result: [GroupRecord] = []
        for try await (id, org, name, source, members) in rows.decode((UUID, UUID?, String, String, [String]).self) {
            result.append(GroupRecord(id: id, organizationId: org, name: name, source: source, members: members))
        }
        return result
    }

    /// Creates an organisation's group (idempotent by name); returns its id.
    public func createGroup(organization: UUID?, name: String, source: String = "org") async throws -> UUID {
        let rows = try await database.query("""
            INSERT INTO user_groups (id, organization_id, name, source) VALUES (\(UUID()), \(organization), \(name), \(source))
            ON CONFLICT (COALESCE(organization_id, '00000000-0000-0000-0000-000000000000'::uuid), source, name)
            DO UPDATE SET name = EXCLUDED.name RETURNING id
            """)
        for try await id in rows.decode(UUID.self) { return id }
        throw StoreError(.unavailable, "the group was not stored")
    }

    public func deleteGroup(organization: UUID, name: String) async throws -> Bool {
        let rows = try await database.query("""
            DELETE FROM user_groups WHERE organization_id = \(organization) AND name = \(name) AND source = 'org' RETURNING id
            """)
        for try await _ in rows.decode(UUID.self) { return true }
        return false
    }

    /// Adds or removes a member of an organisation's group; false when there is no such group.
    public func setGroupMember(organization: UUID, group: String, user: UUID, member: Bool) async throws -> Bool {
        let rows = try await database.query(
            "SELECT id FROM user_groups WHERE organization_id = \(organization) AND name = \(group) AND source = 'org'")
        var found: UUID?
        for try await id in rows.decode(UUID.self) { found = id }
        guard let id = found else { return false }
        if member {
            try await database.query("INSERT INTO user_group_members VALUES (\(id), \(user)) ON CONFLICT DO NOTHING").consume()
        } else {
            try await database.query("DELETE FROM user_group_members WHERE group_id = \(id) AND user_id = \(user)").consume()
        }
        return true
    }

    /// Mirrors a user's LDAP groups at sign-in: exactly `names`, as installation-wide groups of source `ldap`.
    public func syncLDAPGroups(user: UUID, names: [String]) async throws {
        try await database.transaction { connection in
            var ids: [UUID] = []
            for name in Set(names).sorted() {
                let rows = try await connection.run("""
                    INSERT INTO user_groups (id, organization_id, name, source) VALUES (\(UUID()), NULL, \(name), 'ldap')
                    ON CONFLICT (COALESCE(organization_id, '00000000-0000-0000-0000-000000000000'::uuid), source, name)
                    DO UPDATE SET name = EXCLUDED.name RETURNING id
                    """, database.logger)
                for try await id in rows.decode(UUID.self) { ids.append(id) }
            }
            try await connection.run("""
                DELETE FROM user_group_members gm USING user_groups g
                WHERE gm.group_id = g.id AND g.source = 'ldap' AND gm.user_id = \(user) AND NOT (g.id = ANY(\(ids)))
                """, database.logger)
            try await connection.run("""
                INSERT INTO user_group_members (group_id, user_id) SELECT unnest(\(ids)::uuid[]), \(user) ON CONFLICT DO NOTHING
                """, database.logger)
        }
    }

    /// The names of the groups a user is in (organisation groups and LDAP groups).
    public func groupNames(user: UUID) async throws -> [String] {
        let rows = try await database.query("""
            SELECT g.name FROM user_group_members gm JOIN user_groups g ON g.id = gm.group_id
            WHERE gm.user_id = \(user) ORDER BY g.name
            """)
        var result: [String] = []
        for try await name in rows.decode(String.self) { result.append(name) }
        return result
    }
}

extension PostgresRowSequence {
    /// Runs the query to its end, ignoring rows.
    func consume() async throws {
        for try await _ in self {}
    }
}
