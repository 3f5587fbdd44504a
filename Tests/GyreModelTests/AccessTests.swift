import GyreModel
import Testing

/// The role table (README): which level each role gives and what each level may do.
@Suite struct AccessTests {
    @Test func rolesGiveTheirLevelAndTheHigherOfOrgAndProjectWins() {
        #expect(Access.level(AccessFacts()) == .none)
        #expect(Access.level(AccessFacts(orgRole: .viewer)) == .read)
        #expect(Access.level(AccessFacts(orgRole: .member)) == .write)
        #expect(Access.level(AccessFacts(orgRole: .admin)) == .admin)
        #expect(Access.level(AccessFacts(projectRole: .read)) == .read)
        #expect(Access.level(AccessFacts(orgRole: .viewer, projectRole: .admin)) == .admin)
        #expect(Access.level(AccessFacts(orgRole: .admin, projectRole: .read)) == .admin)
        #expect(Access.level(AccessFacts(installationAdmin: true)) == .admin)
        // A deactivated user has nothing, whatever their roles.
        #expect(Access.level(AccessFacts(installationAdmin: true, active: false, orgRole: .admin)) == .none)
    }

    @Test func eachLevelAllowsExactlyItsActions() {
        let table: [AccessLevel: Set<ProjectAction>] = [
            .none: [],
            .status: [.viewStatus],
            .read: [.viewStatus, .viewBuilds],
            .write: [.viewStatus, .viewBuilds, .build],
            .admin: [.viewStatus, .viewBuilds, .build, .manage],
        ]
        for (level, allowed) in table {
            for action in ProjectAction.allCases {
                #expect(Access.allows(level, action) == allowed.contains(action), "\(level) \(action)")
            }
        }
    }

    @Test func projectTokensHaveTheirScopeOnTheirOwnProjectOnly() {
        #expect(Access.tokenLevel(scope: "status", tokenProject: "gh/a/b", target: "gh/a/b") == .status)
        #expect(Access.tokenLevel(scope: "view-builds", tokenProject: "gh/a/b", target: "gh/a/b") == .read)
        #expect(Access.tokenLevel(scope: "all", tokenProject: "gh/a/b", target: "gh/a/b") == .admin)
        #expect(Access.tokenLevel(scope: "all", tokenProject: "gh/a/b", target: "gh/a/c") == .none)
        #expect(Access.tokenLevel(scope: "bogus", tokenProject: "gh/a/b", target: "gh/a/b") == .none)
    }

    @Test func organisationRules() {
        #expect(Access.mayManageOrganization(installationAdmin: false, role: .admin))
        #expect(!Access.mayManageOrganization(installationAdmin: false, role: .member))
        #expect(Access.mayManageOrganization(installationAdmin: true, role: nil))
        #expect(Access.mayReadOrganization(installationAdmin: false, role: .viewer))
        #expect(!Access.mayReadOrganization(installationAdmin: false, role: nil))
        #expect(Access.mayFollow(installationAdmin: false, organizationExists: false, role: nil))
        #expect(!Access.mayFollow(installationAdmin: false, organizationExists: true, role: .viewer))
        #expect(Access.mayFollow(installationAdmin: false, organizationExists: true, role: .member))
    }
}
