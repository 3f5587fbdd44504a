import GyreStore
import Testing

@Suite struct ArtifactPathTests {
    @Test(arguments: [
        ("report.html", "report.html"),
        ("dir/sub/file.txt", "dir/sub/file.txt"),
        ("./a//b/./c", "a/b/c"),
        ("with space/ü.txt", "with space/ü.txt"),
        ("..hidden/x", "..hidden/x"),
    ])
    func acceptsAndNormalisesRelativePaths(raw: String, normalised: String) throws {
        #expect(try ArtifactPath(raw).value == normalised)
    }

    @Test(arguments: ["", "/etc/passwd", "../x", "a/../../b", "a/..", ".", "./", "a\\b", "a\u{0}b", "line\nbreak"])
    func refusesPathsThatLeaveTheDirectory(raw: String) {
        #expect(throws: ArtifactPath.Invalid.self) { try ArtifactPath(raw) }
    }

    @Test func refusesOverlongPaths() {
        #expect(throws: ArtifactPath.Invalid.self) { try ArtifactPath(String(repeating: "a", count: ArtifactPath.maxLength + 1)) }
    }

    @Test func theReasonNamesTheProblem() {
        do {
            _ = try ArtifactPath("a/../b")
            Issue.record("accepted ..")
        } catch {
            #expect(error.description.contains(".."))
        }
    }
}
