import GyreModel
import Yams

/// Reads one entry of a workflow's `jobs` list into invocations: one for a
/// plain entry, one per combination for a `matrix`, one per key for the rare
/// mapping with several job names.
struct WorkflowJobReader {
    var version: ConfigVersion
    var scope: Scope
    /// The variables of `filters` expressions.
    var expressions: [String: ConfigExpression.Value] = [:]

    typealias Invocation = WorkflowCompiler.Invocation

    func invocations(_ entry: ConfigNode) -> [Invocation] {
        switch entry.node {
        case .scalar where !entry.isNull:
            guard let job = entry.nonEmptyString(expected: "a job name") else { return [] }
            guard checkDefined(job, at: entry) else { return [] }
            return [Invocation(name: job, job: job, node: entry)]
        case .mapping:
            guard let mapping = entry.mapping() else { return [] }
            if mapping.isEmpty { entry.reportExpected("a job name, or a mapping of a job name to its options") }
            let keys = mapping.entries.map(\.key)
            if keys.count > 1, let option = keys.dropFirst().first(where: Self.optionKeys.contains) {
                entry.diagnostics.invalid(entry.path, "\(option) sits beside the job name \"\(keys[0])\" instead of under "
                    + "it; indent the job's options below its name (found \(keys.joined(separator: ", ")))")
                return []
            }
            return mapping.entries.flatMap { item in
                // Options are addressed as if the job-name key were not there.
                invocations(job: item.key, options: ConfigNode(item.value.node, path: entry.path,
                                                               diagnostics: entry.diagnostics), entry: entry)
            }
        default:
            entry.reportExpected("a job name, or a mapping of a job name to its options")
            return []
        }
    }

    private func invocations(job: String, options node: ConfigNode, entry: ConfigNode) -> [Invocation] {
        guard !node.isNull else {
            return checkDefined(job, at: entry) ? [Invocation(name: job, job: job, node: entry)] : []
        }
        guard let options = node.mapping(expected: "a mapping of job options such as requires and name") else {
            return []
        }
        guard let matrix = options["matrix"] else {
            return invocation(job: job, options: options, entry: entry).map { [$0] } ?? []
        }
        guard let (alias, expansions) = MatrixExpander().expand(matrix, options: options, job: job) else { return [] }
        return expansions.compactMap { expansion in
            guard let expanded = expansion.options.mapping() else { return nil }
            let matrixArguments = expansion.values.map { value in
                ConfigMapping.Entry(key: value.name, value: ConfigNode(
                    value.value, path: matrix.path.appending("parameters").appending(value.name),
                    diagnostics: matrix.diagnostics))
            }
            guard var invocation = self.invocation(job: job, options: expanded, entry: entry,
                                                   extraArguments: matrixArguments) else { return nil }
            if expanded["name"] == nil {
                invocation.name = ([job] + expansion.values.map(\.text)).joined(separator: "-")
            }
            invocation.alias = alias
            return invocation
        }
    }

    private func invocation(job: String, options: ConfigMapping, entry: ConfigNode,
                            extraArguments: [ConfigMapping.Entry] = []) -> Invocation? {
        let before = entry.diagnostics.count
        var invocation = Invocation(name: job, job: job, node: entry)
        for unknown in options.unknownEntries(known: Self.optionKeys) {
            if version == .v2_1 {
                invocation.arguments.append(unknown)
            } else {
                unknown.value.diagnostics.invalid(unknown.value.path, "unknown workflow job key \"\(unknown.key)\"")
            }
        }
        invocation.arguments += extraArguments
        if let alias = options["name"]?.nonEmptyString() { invocation.name = unescape(alias) }
        if let type = options["type"] { invocation.marker = checkType(type) }
        if let requires = options["requires"] {
            (invocation.requires, invocation.requiredStatuses) = self.requires(requires)
        }
        if let context = options["context"] { invocation.contexts = contexts(context).map(unescape) }
        if let filters = options["filters"] { invocation.filters = FilterCompiler().jobFilters(filters, expressions: expressions) }
        if let group = options["serial-group"] {
            invocation.serialGroup = group.nonEmptyString(expected: "a serial group name").map(unescape)
        }
        // `override-with` names an orb job that may replace this one (CircleCI's orb overrides); the job itself runs here.
        _ = options["override-with"]?.nonEmptyString(expected: "the name of a job")
        invocation.preSteps = options["pre-steps"]
        invocation.postSteps = options["post-steps"]
        if invocation.marker == nil, checkDefined(job, at: entry), let definition = scope.lookup(.job, job) {
            // A job defined as `type: approval` or `type: no-op` is a marker wherever it is used.
            invocation.marker = WorkflowCompiler.markerType(of: definition, diagnostics: entry.diagnostics)
        }
        if let marker = invocation.marker,
           !invocation.arguments.isEmpty || invocation.preSteps != nil || invocation.postSteps != nil {
            entry.diagnostics.invalid(entry.path, "an \(marker == .approval ? "approval" : "no-op") job takes no parameters, "
                + "pre-steps or post-steps")
        }
        return entry.diagnostics.count == before ? invocation : nil
    }

    static let optionKeys = WorkflowCompiler.jobOptionKeys

    /// A 2.1 option's text with `\<<` as the literal `<<` it stands for (interpolation is done).
    /// The job's parameters are unescaped with the job, once it is expanded.
    private func unescape(_ text: String) -> String {
        version == .v2_1 ? Interpolation.unescape(text: text) : text
    }

    /// Reports a job that is not defined (quietly skipping uses of orbs that failed to load).
    private func checkDefined(_ job: String, at entry: ConfigNode) -> Bool {
        guard scope.lookup(.job, job) == nil else { return true }
        // Validating: an orb's job, or any job of a fragment without jobs, is left to processing.
        if entry.diagnostics.validating && (job.contains("/") || scope.jobs.isEmpty) { return true }
        if scope.isBroken(job) {
            // The orb's own error explains it; keep the workflow from compiling without repeating it.
            entry.diagnostics.invalid(entry.path, "job \"\(job)\" comes from an orb that could not be loaded")
        } else if job.contains("/") {
            entry.diagnostics.invalid(entry.path, "job \"\(job)\" is not defined: " + scope.explainMissing(.job, job))
        } else {
            entry.diagnostics.invalid(entry.path, "job \"\(job)\" is not defined under jobs")
        }
        return false
    }

    /// `type: approval` or `type: no-op` on a workflow's job; other types are invalid.
    private func checkType(_ node: ConfigNode) -> WorkflowJobType? {
        guard let type = node.string() else { return nil }
        switch type {
        case "approval": return .approval
        case "no-op": return .noOp
        default:
            node.diagnostics.invalid(node.path, "unknown job type \"\(type)\"; expected approval or no-op")
            return nil
        }
    }

    /// `context: name` or `context: [a, b]`.
    private func contexts(_ node: ConfigNode) -> [String] {
        (node.stringOrStringList(expected: "a context name or a list of context names") ?? []).filter { name in
            if name.isEmpty { node.diagnostics.invalid(node.path, "a context name cannot be empty") }
            return !name.isEmpty
        }
    }

    /// The names in `requires`, without repeats, and the statuses given for
    /// those written `name: status` or `name: [status, ...]` (success,
    /// failed, canceled) other than plain success.
    private func requires(_ node: ConfigNode) -> ([(name: String, node: ConfigNode)], [String: [JobStatus]]) {
        guard let elements = node.sequence(expected: "a list of job names") else { return ([], [:]) }
        var result: [(name: String, node: ConfigNode)] = []
        var statuses: [String: [JobStatus]] = [:]
        for element in elements {
            let name: String?
            var accepted: [JobStatus]?
            if case .mapping = element.node {
                (name, accepted) = requirementWithStatus(element)
            } else {
                name = element.nonEmptyString(expected: "a job name")
            }
            if let name, !result.contains(where: { $0.name == name }) {
                result.append((name, element))
                if let accepted, accepted != [.success] { statuses[name] = accepted }
            }
        }
        return (result, statuses)
    }

    /// `name: status` or `name: [status, ...]`: the name and the statuses (nil after reporting).
    private func requirementWithStatus(_ node: ConfigNode) -> (String?, [JobStatus]?) {
        guard let mapping = node.mapping(), mapping.entries.count == 1, let entry = mapping.entries.first else {
            node.reportExpected("a job name, or a job name with a status")
            return (nil, nil)
        }
        let statuses: [ConfigNode]
        if case .sequence = entry.value.node {
            statuses = entry.value.sequence() ?? []
            if statuses.isEmpty {
                entry.value.diagnostics.invalid(entry.value.path, "an empty list of statuses; expected success, "
                    + "failed or canceled, or a list of them")
            }
        } else {
            statuses = [entry.value]
        }
        var accepted: [JobStatus] = []
        var valid = !statuses.isEmpty
        for status in statuses {
            guard let text = status.string(expected: "a job status (success, failed or canceled)") else {
                valid = false
                continue
            }
            guard Self.requiredStatuses.contains(text), let value = JobStatus(rawValue: text) else {
                status.diagnostics.invalid(status.path, "unknown job status \"\(text)\"; expected success, failed or canceled")
                valid = false
                continue
            }
            if !accepted.contains(value) { accepted.append(value) }
        }
        return (entry.key, valid ? accepted : nil)
    }

    static let requiredStatuses = WorkflowCompiler.requiredStatuses
}
