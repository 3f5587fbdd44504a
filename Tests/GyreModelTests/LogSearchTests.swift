import GyreModel
import Testing

@Suite struct LogSearchTests {
    func search(_ log: String, _ term: String, chunk: Int, limit: Int = 200) -> LogSearch {
        var search = LogSearch(term: term, limit: limit)
        let bytes = Array(log.utf8)
        var start = 0
        while start < bytes.count {
            search.feed(bytes[start..<min(start + chunk, bytes.count)])
            start += chunk
        }
        search.finish()
        return search
    }

    @Test func findsLinesWithOffsetsAndNumbersWhateverTheChunking() {
        let log = "starting\nError: disk full\nok\nanother ERROR here\nlast error without newline"
        for chunk in [1, 2, 3, 7, 1000] {
            let found = search(log, "error", chunk: chunk)
            #expect(found.matches.map(\.line) == [2, 4, 5], "chunk \(chunk)")
            #expect(found.matches.map(\.offset) == [9, 29, 48], "chunk \(chunk)")
            #expect(found.matches.map { String(decoding: $0.text, as: UTF8.self) }
                    == ["Error: disk full", "another ERROR here", "last error without newline"])
            #expect(!found.truncated)
        }
    }

    @Test func stopsAtTheLimitAndSaysSo() {
        let log = (1...10).map { "line \($0) match" }.joined(separator: "\n")
        let found = search(log, "MATCH", chunk: 5, limit: 3)
        #expect(found.matches.map(\.line) == [1, 2, 3])
        #expect(found.truncated)
    }

    @Test func noMatchAndEmptyTerm() {
        #expect(search("a\nb\n", "zzz", chunk: 1).matches.isEmpty)
        #expect(search("a\nb\n", "", chunk: 1).matches.isEmpty)
        // A term split across a newline is not a match.
        #expect(search("ab\ncd", "bc", chunk: 1).matches.isEmpty)
    }

    @Test func longLinesAreCut() {
        let line = String(repeating: "x", count: 2000) + "needle"
        let found = search(line + "\n", "needle", chunk: 64)
        #expect(found.matches.count == 1)
        #expect(found.matches[0].text.count == LogSearch.maxLineBytes)
    }
}
