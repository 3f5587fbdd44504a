import GyreModel

/// Compiles workflow-job `filters` and workflow `triggers` (schedules).
struct FilterCompiler {
    /// `filters: {branches: {only, ignore}, tags: {only, ignore}}`, or nil after reporting.
    func jobFilters(_ node: ConfigNode, expressions: [String: ConfigExpression.Value] = [:]) -> JobFilters? {
        if case .scalar = node.node, let text = node.scalarText {
            // `filters: pipeline.git.branch == "main"`: an expression over pipeline values and parameters,
            // decided now (as CircleCI does, at compile time).
            do {
                let expression = try ConfigExpression.parse(text)
                // Validating, values are placeholders: the syntax is checked, the outcome left to processing.
                if node.diagnostics.validating { return JobFilters(expression: text, expressionResult: true) }
                let result = try expression.isTrue(in: expressions)
                return JobFilters(expression: text, expressionResult: result)
            } catch {
                node.diagnostics.invalid(node.path, "invalid filter expression: \(error)")
                return nil
            }
        }
        guard let mapping = node.mapping(expected: "a mapping with branches and/or tags, or an expression") else { return nil }
        let before = node.diagnostics.count
        mapping.rejectUnknownKeys(known: ["branches", "tags"], owner: "filters")
        let filters = JobFilters(branches: mapping["branches"].flatMap(patternFilter),
                                 tags: mapping["tags"].flatMap(patternFilter))
        return node.diagnostics.count == before ? filters : nil
    }

    /// `{only: x | [x], ignore: x | [x]}`; `/regex/` entries must be valid regexes.
    func patternFilter(_ node: ConfigNode) -> PatternFilter? {
        guard let mapping = node.mapping(expected: "a mapping with only and/or ignore") else { return nil }
        let before = node.diagnostics.count
        mapping.rejectUnknownKeys(known: ["only", "ignore"], owner: "filter")
        let filter = PatternFilter(only: mapping["only"].map(patterns) ?? [],
                                   ignore: mapping["ignore"].map(patterns) ?? [])
        return node.diagnostics.count == before ? filter : nil
    }

    private func patterns(_ node: ConfigNode) -> [NamePattern] {
        let elements: [ConfigNode]
        if case .sequence = node.node {
            elements = node.sequence() ?? []
        } else {
            elements = [node]
        }
        return elements.compactMap { element in
            guard let text = element.nonEmptyString(expected: "a branch or tag name, or /regex/") else { return nil }
            let pattern = NamePattern(text)
            guard pattern.isValid else {
                element.diagnostics.invalid(element.path, "invalid regular expression \(text)")
                return nil
            }
            return pattern
        }
    }

    /// `triggers: [{schedule: {cron, filters: {branches: {only}}}}]`, or nil after reporting.
    func triggers(_ node: ConfigNode) -> [ScheduleTrigger]? {
        guard let elements = node.sequence(expected: "a list of triggers") else { return nil }
        let before = node.diagnostics.count
        let triggers = elements.compactMap(trigger)
        return node.diagnostics.count == before ? triggers : nil
    }

    private func trigger(_ node: ConfigNode) -> ScheduleTrigger? {
        guard let mapping = node.mapping(expected: "a mapping with schedule") else { return nil }
        mapping.rejectUnknownKeys(known: ["schedule"], owner: "trigger")
        guard let schedule = mapping.required("schedule")?.mapping(expected: "a mapping with cron and filters")
        else { return nil }
        schedule.rejectUnknownKeys(known: ["cron", "filters"], owner: "schedule")
        let cron = schedule.required("cron").flatMap(cronExpression)
        let help = "a scheduled workflow needs filters: branches: only: <branch> (the branches it runs on)"
        guard let filtersNode = schedule["filters"] else {
            node.diagnostics.invalid(schedule.node.path.appending("filters"), help)
            return nil
        }
        guard let filters = filtersNode.mapping(expected: "a mapping with branches") else { return nil }
        filters.rejectUnknownKeys(known: ["branches"], owner: "schedule filters")
        guard let branchesNode = filters["branches"] else {
            node.diagnostics.invalid(filtersNode.path.appending("branches"), help)
            return nil
        }
        guard let branches = patternFilter(branchesNode) else { return nil }
        guard !branches.only.isEmpty else {
            node.diagnostics.invalid(branchesNode.path.appending("only"), help)
            return nil
        }
        return cron.map { ScheduleTrigger(cron: $0, branches: branches) }
    }

    private func cronExpression(_ node: ConfigNode) -> String? {
        guard let text = node.nonEmptyString(expected: "a cron expression such as \"0 4 * * *\"") else { return nil }
        do {
            _ = try CronSchedule(parsing: text)
            return text
        } catch {
            node.diagnostics.invalid(node.path, error.message)
            return nil
        }
    }
}
