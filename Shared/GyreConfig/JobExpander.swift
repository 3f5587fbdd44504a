import GyreModel
import Yams

/// Turns one job definition plus the arguments of one invocation into a plain
/// job (no parameters, no `executor:` reference, built-in steps only), which
/// ``JobCompiler`` then compiles.
struct JobExpander {
    var diagnostics: Diagnostics
    /// Pipeline values for step conditions written as expressions; nil = literals only.
    var expressions: [String: ConfigExpression.Value]? = nil

    static let executorBodyKeys: Set<String> = [
        "docker", "machine", "macos", "windows", "resource_class", "shell", "working_directory", "environment",
    ]

    /// A job ready for ``JobCompiler``: its keys, and its steps with their source paths.
    struct Expanded {
        var node: ConfigNode
        var steps: [ConfigNode]?
    }

    /// The expanded job, addressed by the definition's path, or nil after reporting.
    /// `preSteps` / `postSteps` are already expanded (in the workflow's scope).
    func expand(_ definition: Scope.Definition, arguments: [ConfigMapping.Entry], at invocation: ConfigNode,
                 preSteps: [ConfigNode] = [], postSteps: [ConfigNode] = []) -> Expanded? {
        guard let job = definition.node.mapping(expected: "a mapping describing the job") else { return nil }
        let owner = "job \"\(definition.qualifiedName)\""
        let specs = ParameterSpec.parse(job["parameters"])
        guard let values = ParameterResolver(specs: specs, owner: owner).resolve(arguments, at: invocation) else {
            return nil
        }
        let body = Self.node(job.entries.filter { $0.key != "parameters" }.map { ($0.key, $0.value.node) })
        let interpolated = Interpolation(resolve: ParameterResolver.resolver(values, owner: owner),
                                         diagnostics: diagnostics).apply(body, path: definition.node.path)
        guard let expanded = ConfigNode(interpolated, path: definition.node.path, diagnostics: diagnostics).mapping()
        else { return nil }

        var entries = expanded.entries.map { ($0.key, $0.value.node) }
        var standIn = false
        if let executor = expanded["executor"] {
            let before = diagnostics.count
            if let executorEntries = self.executor(executor, scope: definition.scope) {
                entries = Self.merge(executor: executorEntries, job: entries.filter { $0.0 != "executor" })
            } else if diagnostics.validating && diagnostics.count == before {
                // An executor defined elsewhere (an orb, a fuller config): check the rest of the job on a
                // stand-in, without its resource class (which belongs to the unknown executor's kind).
                entries = Self.placeholderExecutor + entries.filter { !["executor", "resource_class"].contains($0.0) }
                standIn = true
            } else {
                return nil
            }
        }
        var steps: [ConfigNode]?
        if let stepsNode = expanded["steps"] {
            var stepExpander = StepExpander(diagnostics: diagnostics, expressions: expressions)
            // Processing stops at the missing executor before it reads the steps, so validation leaves
            // their names to processing too (such a job is a fragment, like CircleCI's schema samples).
            stepExpander.leavesUnknownStepsToProcessing = standIn
            guard let expandedSteps = stepExpander.expand(stepsNode, scope: definition.scope)
            else { return nil }
            steps = preSteps + expandedSteps + postSteps
        }
        return Expanded(node: ConfigNode(Self.node(entries), path: definition.node.path, diagnostics: diagnostics),
                        steps: steps)
    }

    /// `executor: name` or `executor: {name, <parameters>}`: the executor's body keys.
    private func executor(_ node: ConfigNode, scope: Scope) -> [(String, Node)]? {
        let name: String
        var arguments: [ConfigMapping.Entry] = []
        var at = node
        if case .mapping = node.node {
            guard let mapping = node.mapping(), let nameNode = mapping.required("name"),
                  let text = nameNode.nonEmptyString(expected: "an executor name") else { return nil }
            name = text
            arguments = mapping.entries.filter { $0.key != "name" }
            at = nameNode
        } else {
            guard let text = node.nonEmptyString(expected: "an executor name, or a mapping with name") else { return nil }
            name = text
        }
        guard let definition = scope.lookup(.executor, name) else {
            if !scope.isBroken(name) {
                // Validating, an executor parameter's placeholder names no executor: checked on a stand-in.
                let placeholder = diagnostics.validating && name == ParameterSpec.stringPlaceholder
                diagnostics.undefined(name, at: at.path, scope.explainMissing(.executor, name),
                                      sectionDefined: !scope.executors.isEmpty && !placeholder)
            }
            return nil
        }
        guard let body = definition.node.mapping(expected: "a mapping describing the executor") else { return nil }
        let owner = "executor \"\(definition.qualifiedName)\""
        let specs = ParameterSpec.parse(body["parameters"])
        guard let values = ParameterResolver(specs: specs, owner: owner).resolve(arguments, at: node) else { return nil }
        let kept = body.entries.filter { Self.executorBodyKeys.contains($0.key) }.map { ($0.key, $0.value.node) }
        let interpolated = Interpolation(resolve: ParameterResolver.resolver(values, owner: owner),
                                         diagnostics: diagnostics)
            .apply(Self.node(kept), path: definition.node.path)
        return interpolated.mapping?.compactMap { key, value in key.string.map { ($0, value) } }
    }

    /// The executor's keys under the job's: the job wins, except that both
    /// `environment`s are merged (the job's values win), whichever of their
    /// forms each uses (mapping, `KEY=VALUE` list, list of mappings).
    static func merge(executor: [(String, Node)], job: [(String, Node)]) -> [(String, Node)] {
        var result = executor.filter { key, _ in !job.contains { $0.0 == key } }
        for (key, value) in job {
            if key == "environment", let base = executor.first(where: { $0.0 == "environment" })?.1,
               let basePairs = environmentPairs(base), let own = environmentPairs(value) {
                let ownNames = Set(own.compactMap(\.0.string))
                var pairs = basePairs.filter { !ownNames.contains($0.0.string ?? "") }
                pairs += own
                result.append((key, .mapping(Node.Mapping(pairs))))
            } else {
                result.append((key, value))
            }
        }
        return result
    }

    /// An `environment` value as name/value pairs, or nil for a form to leave to the compiler's checks.
    static func environmentPairs(_ node: Node) -> [(Node, Node)]? {
        switch node {
        case .mapping(let mapping):
            return mapping.map { ($0.key, $0.value) }
        case .sequence(let entries):
            var pairs: [(Node, Node)] = []
            for entry in entries {
                switch entry {
                case .mapping(let mapping):
                    pairs += mapping.map { ($0.key, $0.value) }
                case .scalar(let scalar):
                    guard let equals = scalar.string.firstIndex(of: "=") else { return nil }
                    pairs.append((Interpolation.string(String(scalar.string[..<equals])),
                                  Interpolation.string(String(scalar.string[scalar.string.index(after: equals)...]),
                                                       style: .doubleQuoted)))
                default:
                    return nil
                }
            }
            return pairs
        default:
            return nil
        }
    }

    /// Validation's stand-in for an executor it cannot see.
    static var placeholderExecutor: [(String, Node)] {
        [("machine", Interpolation.string("true")), ("resource_class", Interpolation.string("validation/placeholder"))]
    }

    static func node(_ entries: [(String, Node)]) -> Node {
        .mapping(Node.Mapping(entries.map { (Interpolation.string($0.0), $0.1) }))
    }
}
