/// Splits a command string into words the way a POSIX shell would (without
/// expansions): whitespace separates words, quotes group them, backslash escapes.
///
/// Used for docker `entrypoint`/`command` given as a string rather than a list.
enum ShellWords {
    /// The words of `text`, or nil if a quote is not closed or it ends in a backslash.
    static func split(_ text: String) -> [String]? {
        var words: [String] = []
        var current = ""
        var inWord = false
        var iterator = text.makeIterator()
        while let character = iterator.next() {
            switch character {
            case "'":
                inWord = true
                var closed = false
                while let next = iterator.next() {
                    if next == "'" { closed = true; break }
                    current.append(next)
                }
                guard closed else { return nil }
            case "\"":
                inWord = true
                var closed = false
                while let next = iterator.next() {
                    if next == "\"" { closed = true; break }
                    if next == "\\" {
                        guard let escaped = iterator.next() else { return nil }
                        if !["\"", "\\", "$", "`", "\n"].contains(escaped) { current.append("\\") }
                        if escaped != "\n" { current.append(escaped) }
                        continue
                    }
                    current.append(next)
                }
                guard closed else { return nil }
            case "\\":
                guard let escaped = iterator.next() else { return nil }
                if escaped != "\n" {
                    inWord = true
                    current.append(escaped)
                }
            case _ where character.isWhitespace:
                if inWord {
                    words.append(current)
                    current = ""
                    inWord = false
                }
            default:
                inWord = true
                current.append(character)
            }
        }
        if inWord { words.append(current) }
        return words
    }
}
