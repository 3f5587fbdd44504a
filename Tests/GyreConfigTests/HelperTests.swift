@testable import GyreConfig
import GyreModel
import Testing

@Suite("Parsing helpers")
struct HelperTests {
    @Test(arguments: [
        ("10m", 600), ("30s", 30), ("1h", 3600), ("1h30m", 5400), ("45", 45), ("1.25h", 4500), ("90m", 5400),
        (" 5m ", 300), ("1m1h", 3660),
    ])
    func durations(text: String, seconds: Int) {
        #expect(DurationParser.seconds(from: text) == seconds)
    }

    @Test(arguments: ["", "abc", "10", "0s", "0", "-1m", "1x", "h", "1.2.3m", "10 m", "1e9999h", "3000000000"])
    func badDurations(text: String) {
        // "10" is fine; everything else here is not.
        #expect((DurationParser.seconds(from: text) == nil) == (text != "10"))
    }

    @Test func shellWords() {
        #expect(ShellWords.split("postgres -c 'max connections=5'") == ["postgres", "-c", "max connections=5"])
        #expect(ShellWords.split(#"echo "a \"b\" \$c" d\ e ''"#) == ["echo", #"a "b" $c"#, "d e", ""])
        #expect(ShellWords.split("  ") == [])
        #expect(ShellWords.split("a 'b") == nil)
        #expect(ShellWords.split("a \"b") == nil)
        #expect(ShellWords.split("a\\") == nil)
    }

    @Test func nodePathRendering() {
        let path = NodePath.root.appending("workflows").appending("ci").appending("jobs").appending(index: 1)
            .appending("requires").appending(index: 0)
        #expect(path.description == "workflows.ci.jobs[1].requires[0]")
        #expect(NodePath.root.description == "")
        #expect(NodePath.root.appending(index: 2).description == "[2]")
    }

    @Test func interpolationDetection() {
        func names(_ text: String) -> [String] { Interpolation.references(in: text).map(\.name) }
        #expect(names("echo << pipeline.git.branch >>") == ["pipeline.git.branch"])
        #expect(names("x <<parameters.a>> y << matrix.b >>") == ["parameters.a", "matrix.b"])
        #expect(names("cat <<EOF >> out\nEOF").isEmpty)
        #expect(names("a << parameters.b\nc >> d").isEmpty)
        #expect(names("a << other.x >> b").isEmpty)
        #expect(names("plain").isEmpty)
    }

    @Test func runnerResourceClasses() {
        #expect(ExecutorCompiler.isRunnerResourceClass("acme/host"))
        #expect(ExecutorCompiler.isRunnerResourceClass("my-org/gpu_box.2"))
        for bad in ["large", "acme/", "/host", "a/b/c", "ac me/host", "acme/hést"] {
            #expect(!ExecutorCompiler.isRunnerResourceClass(bad), "\(bad)")
        }
    }

    @Test func cycleFinder() {
        #expect(CycleFinder.cycles(in: [[1], [2], []]) == [])
        #expect(CycleFinder.cycles(in: [[1], [0], [2], [0]]) == [[0, 1], [2]])
        #expect(CycleFinder.cycles(in: [[1], [2], [0], [4], [3]]) == [[0, 1, 2], [3, 4]])
    }

    @Test func defaultRunNames() {
        #expect(RunStepCompiler.defaultName(for: "\n\n  make test  \nmore") == "make test")
        #expect(RunStepCompiler.defaultName(for: String(repeating: "é", count: 81)).count == 80)
    }
}
