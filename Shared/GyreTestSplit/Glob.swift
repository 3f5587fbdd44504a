/// `circleci tests glob`: the files matching any of the patterns, sorted, each once.
public enum Glob {
    public static func files(matching patterns: [String]) -> [String] {
        var found = Set<String>()
        for text in patterns {
            let pattern = GlobPattern(text)
            for root in pattern.roots {
                guard let kind = FileSystem.kind(root) else { continue }
                let candidates = kind == .directory ? FileSystem.walk(root) : [root]
                for path in candidates where FileSystem.kind(path) == .file && pattern.matches(path) {
                    found.insert(path)
                }
            }
        }
        return found.sorted()
    }
}
