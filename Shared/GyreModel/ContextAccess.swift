import Foundation

/// Who may use a context, as CircleCI decides it: a context without
/// restrictions serves every job of its organisation; project restrictions
/// name the only projects that may use it; group restrictions name the
/// groups the job's user must belong to (one is enough); expression
/// restrictions must all hold over the pipeline's values. Kinds combine with
/// "and". Pure: the contexts service loads the facts and applies this.
public enum ContextAccess {
    public enum RestrictionType: String, Codable, Sendable, CaseIterable {
        case project, group, expression
    }

    public struct Restriction: Sendable, Equatable {
        public var type: RestrictionType
        /// A project's id, a group's id, or an expression.
        public var value: String
        /// A readable name for messages (the project slug, the group name).
        public var name: String

        public init(type: RestrictionType, value: String, name: String = "") {
            self.type = type
            self.value = value
            self.name = name
        }
    }

    /// The facts a decision is made on.
    public struct Subject: Sendable {
        /// The project the job belongs to.
        public var project: UUID?
        /// The user whose rights count (the approver of an upstream approval job, else the pipeline's actor); nil for
        /// pipelines no user started (webhooks without a known user, schedules).
        public var user: String?
        /// The ids of the user's groups (lower-case).
        public var groups: Set<String>
        /// Pipeline values for expression restrictions (`pipeline.git.branch`, ...).
        public var values: [String: ConfigExpression.Value]

        public init(project: UUID?, user: String?, groups: Set<String>, values: [String: ConfigExpression.Value]) {
            self.project = project
            self.user = user
            self.groups = groups
            self.values = values
        }
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        case refused(String)
    }

    public static func decide(context: String, restrictions: [Restriction], subject: Subject) -> Decision {
        let projects = restrictions.filter { $0.type == .project }
        if !projects.isEmpty {
            let allowed = projects.contains { restriction in
                subject.project.map { UUID(uuidString: restriction.value) == $0 } ?? false
            }
            if !allowed {
                let names = projects.map { $0.name.isEmpty ? $0.value : $0.name }.joined(separator: ", ")
                return .refused("context \(context) is restricted to the projects \(names); this project may not use it")
            }
        }
        let groups = restrictions.filter { $0.type == .group }
        if !groups.isEmpty {
            let names = groups.map { $0.name.isEmpty ? $0.value : $0.name }.joined(separator: ", ")
            guard let user = subject.user else {
                return .refused("context \(context) is restricted to the groups \(names), and no user started this "
                                + "pipeline (a webhook or a schedule); trigger it as a member of one of them")
            }
            let member = groups.contains { subject.groups.contains($0.value.lowercased()) }
            if !member {
                return .refused("context \(context) is restricted to the groups \(names); \(user) is in none of them")
            }
        }
        for restriction in restrictions where restriction.type == .expression {
            do {
                if try !ConfigExpression.parse(restriction.value).isTrue(in: subject.values) {
                    return .refused("context \(context) is restricted to pipelines where \(restriction.value); this one is not")
                }
            } catch {
                return .refused("context \(context) has an expression restriction that cannot be evaluated "
                                + "(\(restriction.value): \(error.message)); an organisation admin must fix it")
            }
        }
        return .allowed
    }
}

/// The environment a job gets from its project and contexts, in CircleCI's
/// precedence (lowest first): built-in variables, project variables, context
/// variables (a later context in the job's list wins), then the job's and
/// the step's `environment` (applied by the agent).
public struct JobEnvironment: Codable, Sendable, Equatable {
    public struct Variable: Codable, Sendable, Equatable {
        public var name: String
        public var value: String
        /// `project` or `context:<name>`.
        public var source: String

        public init(name: String, value: String, source: String) {
            self.name = name
            self.value = value
            self.source = source
        }
    }

    public var variables: [Variable]

    public init(variables: [Variable]) {
        self.variables = variables
    }

    /// Project variables first, then each context in the job's order; a name set again replaces the earlier value.
    public static func merge(project: [(String, String)], contexts: [(name: String, variables: [(String, String)])]) -> JobEnvironment {
        var order: [String] = []
        var chosen: [String: Variable] = [:]
        func put(_ name: String, _ value: String, _ source: String) {
            if chosen[name] == nil { order.append(name) }
            chosen[name] = Variable(name: name, value: value, source: source)
        }
        for (name, value) in project { put(name, value, "project") }
        for context in contexts {
            for (name, value) in context.variables { put(name, value, "context:\(context.name)") }
        }
        return JobEnvironment(variables: order.compactMap { chosen[$0] })
    }
}

/// Names and values CircleCI accepts for environment variables.
public enum EnvironmentVariableName {
    public static let maxValueBytes = 65_536

    /// nil when valid; otherwise what is wrong.
    public static func problem(_ name: String) -> String? {
        guard let first = name.unicodeScalars.first else { return "an environment variable needs a name" }
        guard name.count <= 256 else { return "environment variable names are at most 256 characters" }
        let letters = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
        let rest = letters.union(CharacterSet(charactersIn: "0123456789"))
        guard letters.contains(first), name.unicodeScalars.allSatisfy({ rest.contains($0) }) else {
            return "\(name) is not a valid environment variable name: use letters, digits and _, not starting with a digit"
        }
        return nil
    }

    /// How a project variable's value is listed: `xxxx` and its last four characters (only `xxxx` for a value
    /// shorter than eight, which would otherwise be half shown).
    public static func masked(_ value: String) -> String {
        value.count >= 8 ? "xxxx" + String(value.suffix(4)) : "xxxx"
    }
}
