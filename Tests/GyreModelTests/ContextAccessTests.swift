import Foundation
import GyreModel
import Testing

/// Who may use a context (`ContextAccess`) and the precedence of project and context variables.
@Suite struct ContextAccessTests {
    let project = UUID()
    let ops = UUID().uuidString.lowercased()

    func subject(user: String? = "alice", groups: Set<String> = [], branch: String = "main") -> ContextAccess.Subject {
        ContextAccess.Subject(project: project, user: user, groups: groups,
                              values: ["pipeline.git.branch": .string(branch), "pipeline.git.tag": .undefined])
    }

    @Test func aContextWithoutRestrictionsServesEveryJob() {
        #expect(ContextAccess.decide(context: "c", restrictions: [], subject: subject(user: nil)) == .allowed)
    }

    @Test func projectRestrictionsNameTheOnlyProjectsAllowed() {
        let other = ContextAccess.Restriction(type: .project, value: UUID().uuidString.lowercased(), name: "gh/acme/other")
        let this = ContextAccess.Restriction(type: .project, value: project.uuidString.lowercased(), name: "gh/acme/app")
        #expect(ContextAccess.decide(context: "c", restrictions: [other, this], subject: subject()) == .allowed)
        guard case .refused(let message) = ContextAccess.decide(context: "deploy", restrictions: [other], subject: subject()) else {
            Issue.record("a project outside the restriction was allowed")
            return
        }
        #expect(message.contains("deploy") && message.contains("gh/acme/other"))
    }

    @Test func groupRestrictionsNeedTheUserInOneOfTheGroups() {
        let restriction = ContextAccess.Restriction(type: .group, value: ops.uppercased(), name: "ops")
        let qa = ContextAccess.Restriction(type: .group, value: UUID().uuidString, name: "qa")
        #expect(ContextAccess.decide(context: "c", restrictions: [qa, restriction], subject: subject(groups: [ops])) == .allowed)
        guard case .refused(let message) = ContextAccess.decide(context: "deploy", restrictions: [restriction],
                                                               subject: subject(groups: ["other"])) else {
            Issue.record("a user outside the group was allowed")
            return
        }
        #expect(message.contains("deploy") && message.contains("ops") && message.contains("alice"))
        // No user (a webhook or a schedule): a group restriction cannot be met.
        guard case .refused(let anonymous) = ContextAccess.decide(context: "deploy", restrictions: [restriction],
                                                                 subject: subject(user: nil, groups: [ops])) else {
            Issue.record("a pipeline no user started passed a group restriction")
            return
        }
        #expect(anonymous.contains("no user started"))
    }

    @Test func expressionRestrictionsMustAllHoldAndKindsCombineWithAnd() {
        let main = ContextAccess.Restriction(type: .expression, value: #"pipeline.git.branch == "main""#)
        let notTag = ContextAccess.Restriction(type: .expression, value: "not pipeline.git.tag")
        let group = ContextAccess.Restriction(type: .group, value: ops, name: "ops")
        #expect(ContextAccess.decide(context: "c", restrictions: [main, notTag], subject: subject()) == .allowed)
        #expect(ContextAccess.decide(context: "c", restrictions: [main], subject: subject(branch: "dev")) != .allowed)
        #expect(ContextAccess.decide(context: "c", restrictions: [main, group], subject: subject()) != .allowed)
        #expect(ContextAccess.decide(context: "c", restrictions: [main, group], subject: subject(groups: [ops])) == .allowed)
        let broken = ContextAccess.Restriction(type: .expression, value: "pipeline.git.branch ==")
        guard case .refused(let message) = ContextAccess.decide(context: "c", restrictions: [broken], subject: subject()) else {
            Issue.record("an expression that does not parse allowed the job")
            return
        }
        #expect(message.contains("cannot be evaluated"))
    }

    @Test func contextsOverrideProjectVariablesAndALaterContextWins() {
        let merged = JobEnvironment.merge(
            project: [("A", "project"), ("P", "p")],
            contexts: [(name: "one", variables: [("A", "one"), ("B", "one")]), (name: "two", variables: [("B", "two")])])
        #expect(merged.variables.map(\.name) == ["A", "P", "B"])
        #expect(merged.variables.map(\.value) == ["one", "p", "two"])
        #expect(merged.variables.map(\.source) == ["context:one", "project", "context:two"])
    }

    @Test func variableNamesAndMaskedValues() {
        #expect(EnvironmentVariableName.problem("AWS_KEY_2") == nil)
        #expect(EnvironmentVariableName.problem("_x") == nil)
        #expect(EnvironmentVariableName.problem("2X") != nil)
        #expect(EnvironmentVariableName.problem("A-B") != nil)
        #expect(EnvironmentVariableName.problem("") != nil)
        #expect(EnvironmentVariableName.masked("super-secret-1234") == "xxxx1234")
        #expect(EnvironmentVariableName.masked("short") == "xxxx")
    }
}
