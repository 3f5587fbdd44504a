import GyreModel

/// Compiles the value of a `run` step: a command string, or a mapping with
/// `command` and options.
struct RunStepCompiler {
    static let keys: Set<String> = [
        "command", "name", "shell", "environment", "working_directory", "background", "no_output_timeout", "when",
    ]

    /// A default step name longer than this is cut, ending in "...".
    static let maxDefaultNameLength = 80

    /// The run step, or nil after reporting.
    func compile(_ node: ConfigNode) -> RunStep? {
        switch node.node {
        case .mapping:
            return compile(mapping: node)
        case .scalar where !node.isNull:
            guard let command = readCommand(node) else { return nil }
            return RunStep(name: Self.defaultName(for: command), command: command)
        default:
            if node.isNull {
                node.diagnostics.invalid(node.path, "a run step needs a command")
            } else {
                node.reportExpected("a command, or a mapping with command")
            }
            return nil
        }
    }

    private func compile(mapping node: ConfigNode) -> RunStep? {
        guard let mapping = node.mapping() else { return nil }
        let before = node.diagnostics.count
        mapping.rejectUnknownKeys(known: Self.keys, owner: "run")
        let command = mapping.required("command").flatMap(readCommand)
        var step = RunStep(name: "", command: command ?? "")
        step.name = mapping["name"]?.nonEmptyString() ?? Self.defaultName(for: step.command)
        step.shell = mapping["shell"]?.nonEmptyString()
        step.environment = mapping["environment"].map { EnvironmentCompiler().compile($0) } ?? []
        step.workingDirectory = mapping["working_directory"]?.nonEmptyString()
        step.background = mapping["background"]?.bool() ?? false
        step.noOutputTimeout = mapping["no_output_timeout"].flatMap { DurationParser().seconds($0) }
        if let when = mapping["when"] {
            step.when = when.stepCondition() ?? .onSuccess
        }
        return node.diagnostics.count == before ? step : nil
    }

    private func readCommand(_ node: ConfigNode) -> String? {
        guard let command = node.string(expected: "a command") else { return nil }
        guard command.contains(where: { !$0.isWhitespace }) else {
            node.diagnostics.invalid(node.path, "the command is empty")
            return nil
        }
        return command
    }


    /// The command's first non-blank line, trimmed and cut to about 80 characters.
    static func defaultName(for command: String) -> String {
        let line = command.split(whereSeparator: \.isNewline)
            .first { $0.contains(where: { !$0.isWhitespace }) } ?? ""
        let trimmed = String(line.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        guard trimmed.count > maxDefaultNameLength else { return trimmed }
        return String(trimmed.prefix(maxDefaultNameLength - 3)) + "..."
    }
}
