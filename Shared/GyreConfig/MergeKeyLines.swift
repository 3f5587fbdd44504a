/// Several merge keys in one block mapping (`<<: *a` then `<<: *b`): YAML
/// parsers differ (Yams refuses a repeated key; the parser CircleCI uses
/// accepts it), and CircleCI treats them as one `<<: [*a, *b]`. This rewrites
/// the text that way before parsing: the first `<<:` line of a mapping
/// becomes `<<: [*a, *b, ...]` and the later ones become blank lines, so line
/// numbers in messages stay right. Only plain `<<: *alias` lines are touched.
enum MergeKeyLines {
    static func combine(_ yaml: String) -> String {
        var lines = yaml.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var index = 0
        while index < lines.count {
            guard let (indent, alias) = match(lines[index]) else {
                index += 1
                continue
            }
            var aliases = [alias]
            var later: [Int] = []
            var next = index + 1
            while next < lines.count {
                let line = lines[next]
                let trimmed = line.drop { $0 == " " }
                if trimmed.isEmpty || trimmed.hasPrefix("#") {
                    next += 1
                    continue
                }
                let lineIndent = line.count - trimmed.count
                if lineIndent < indent { break }
                if lineIndent == indent, let (_, other) = match(line), !line.dropFirst(indent).hasPrefix("-") {
                    aliases.append(other)
                    later.append(next)
                }
                next += 1
            }
            if aliases.count > 1 {
                let prefix = String(lines[index].prefix(indent))
                lines[index] = prefix + "<<: [" + aliases.joined(separator: ", ") + "]"
                for line in later { lines[line] = "" }
            }
            index += 1
        }
        return lines.joined(separator: "\n")
    }

    /// `<indent><<: *alias` (optionally behind `- `), with the column the key starts at.
    static func match(_ line: String) -> (Int, String)? {
        var rest = Substring(line)
        var indent = 0
        while rest.first == " " { rest = rest.dropFirst(); indent += 1 }
        if rest.hasPrefix("- ") {
            rest = rest.dropFirst(2)
            indent += 2
            while rest.first == " " { rest = rest.dropFirst(); indent += 1 }
        }
        guard rest.hasPrefix("<<") else { return nil }
        rest = rest.dropFirst(2).drop { $0 == " " }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " }
        guard rest.first == "*" else { return nil }
        let alias = rest.prefix { !" \t#,[]{}".contains($0) }
        let after = rest.dropFirst(alias.count).drop { $0 == " " || $0 == "\t" }
        guard alias.count > 1, after.isEmpty || after.hasPrefix("#") else { return nil }
        return (indent, String(alias))
    }
}
