import Foundation
import GyreTestSplit
import Testing

struct TestSplitterTests {
    let names = (1...17).map { "test/case_\($0).py" }

    func shares(_ strategy: TestSplitter.Strategy, total: Int, names: [String],
                size: @escaping (String) -> Int64? = { _ in nil }) -> [[String]] {
        (0..<total).map { TestSplitter(strategy: strategy, total: total, index: $0).split(names, size: size) }
    }

    func expectPartition(_ parts: [[String]], of names: [String]) {
        let all = parts.flatMap { $0 }
        #expect(all.count == Set(names).count)
        #expect(Set(all) == Set(names))
    }

    @Test func nameSplitIsRoundRobinOverTheSortedList() {
        let parts = shares(.name, total: 3, names: ["c", "a", "e", "b", "d"])
        // Output keeps the input order.
        #expect(parts == [["a", "d"], ["e", "b"], ["c"]])
        #expect(Set(parts[0]) == ["a", "d"])
        #expect(Set(parts[1]) == ["b", "e"])
        #expect(Set(parts[2]) == ["c"])
    }

    @Test func everyModeAssignsEachNameExactlyOnce() {
        let timings = Dictionary(uniqueKeysWithValues: names.prefix(10).enumerated().map { ($1, Double($0 + 1)) })
        for total in [1, 2, 3, 5, 20] {
            expectPartition(shares(.name, total: total, names: names), of: names)
            expectPartition(shares(.filesize, total: total, names: names, size: { Int64($0.count * 3) }), of: names)
            expectPartition(shares(.timings(timings), total: total, names: names), of: names)
        }
    }

    @Test func splitIsDeterministicWhateverTheInputOrder() {
        let timings = ["a": 5.0, "b": 3, "c": 3, "d": 1]
        let one = shares(.timings(timings), total: 2, names: ["a", "b", "c", "d", "e"])
        let two = shares(.timings(timings), total: 2, names: ["e", "d", "c", "b", "a"])
        #expect(one.map(Set.init) == two.map(Set.init))
        #expect(shares(.name, total: 3, names: names) == shares(.name, total: 3, names: names))
    }

    @Test func timingsArePackedGreedilyLargestFirst() {
        // 8 → node 0; 5 → node 1; 4 → node 1 (5 < 8); 3 → node 0 (8 < 9); ...
        let parts = shares(.timings(["a": 8, "b": 5, "c": 4, "d": 3]), total: 2, names: ["a", "b", "c", "d"])
        #expect(Set(parts[0]) == ["a", "d"])
        #expect(Set(parts[1]) == ["b", "c"])
    }

    @Test func namesWithoutTimingsGetTheAverage() {
        // Average of known = 4; "x" (unknown) weighs 4, so it goes where 4 fits best.
        let parts = shares(.timings(["a": 6, "b": 2]), total: 2, names: ["a", "b", "x"])
        #expect(Set(parts[0]) == ["a"])
        #expect(Set(parts[1]) == ["x", "b"])
    }

    @Test func timingsMatchFilesWithOrWithoutDotSlash() {
        let parts = shares(.timings(["a.py": 10, "b.py": 1, "c.py": 1]), total: 2, names: ["./a.py", "./b.py", "./c.py"])
        #expect(parts[0] == ["./a.py"])
        #expect(Set(parts[1]) == ["./b.py", "./c.py"])
    }

    @Test func filesizeBinPacksBySize() {
        let sizes: [String: Int64] = ["big": 100, "mid": 60, "small": 30, "tiny": 10]
        let parts = shares(.filesize, total: 2, names: ["tiny", "small", "mid", "big"], size: { sizes[$0] })
        #expect(Set(parts[0]) == ["big"])
        #expect(Set(parts[1]) == ["mid", "small", "tiny"])
    }

    @Test func duplicatesRunOnce() {
        let parts = shares(.name, total: 2, names: ["a", "b", "a"])
        #expect(parts.flatMap { $0 }.sorted() == ["a", "b"])
    }
}

struct TimingsFileTests {
    @Test func parsesTheThreeTables() throws {
        let json = #"{"files": {"./spec/a_spec.rb": 1.5, "spec/b_spec.rb": 20}, "classnames": {"A\u00e9": 2e1},"#
            + #" "names": {"t \"quoted\"": 0.25}, "other": [1, true, null]}"#
        let timings = try #require(TimingsFile(json: Array(json.utf8)))
        #expect(timings.files == ["spec/a_spec.rb": 1.5, "spec/b_spec.rb": 20])
        #expect(timings.classnames == ["Aé": 20])
        #expect(timings.names == ["t \"quoted\"": 0.25])
        #expect(timings.table(for: .filename) == timings.files)
    }

    @Test func rejectsWhatIsNotJSON() {
        #expect(TimingsFile(json: Array("{\"files\": ".utf8)) == nil)
        #expect(TimingsFile(json: Array("[1]".utf8)) == nil)
        #expect(TimingsFile(json: []) == nil)
    }
}

struct TestsCommandTests {
    func run(_ arguments: [String], env: [String: String] = [:], stdin: String = "") -> TestsCommand.Result {
        TestsCommand(environment: env, readStdin: { Array(stdin.utf8) }).run(arguments)
    }

    @Test func splitReadsStdinAndNodeFromEnvironment() {
        let input = "c\na b\n\nd\n"
        let zero = run(["tests", "split"], env: ["CIRCLE_NODE_TOTAL": "2", "CIRCLE_NODE_INDEX": "0"], stdin: input)
        let one = run(["tests", "split"], env: ["CIRCLE_NODE_TOTAL": "2", "CIRCLE_NODE_INDEX": "1"], stdin: input)
        #expect(zero.exitCode == 0 && one.exitCode == 0)
        #expect(Set(zero.stdout.split(separator: "\n")) == ["a", "c"])
        #expect(Set(one.stdout.split(separator: "\n")) == ["b", "d"])
    }

    @Test func optionsOverrideTheEnvironmentInBothSpellings() {
        let a = run(["tests", "split", "--total=3", "--index=2", "--split-by=name"], env: ["CIRCLE_NODE_TOTAL": "9"],
                    stdin: "a b c d e f")
        let b = run(["tests", "split", "--total", "3", "--index", "2", "--split-by", "name"], stdin: "a b c d e f")
        #expect(a == b)
        #expect(a.stdout == "c\nf\n")
    }

    @Test func timingsComeFromTheFileNamedInTheEnvironment() throws {
        let path = NSTemporaryDirectory() + "gyre-timings-\(UUID().uuidString).json"
        try Data(#"{"files":{"a":9,"b":1,"c":1,"d":1}}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let env = ["CIRCLE_INTERNAL_TEST_TIMINGS": path, "CIRCLE_NODE_TOTAL": "2", "CIRCLE_NODE_INDEX": "0"]
        let result = run(["tests", "split", "--split-by=timings"], env: env, stdin: "a b c d")
        #expect(result.stdout == "a\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func timingsWithoutAFileFallBackToNameWithAWarning() {
        let result = run(["tests", "split", "--split-by=timings", "--total=2", "--index=0"], stdin: "b a")
        #expect(result.exitCode == 0)
        #expect(result.stdout == "a\n")
        #expect(result.stderr.contains("no test timings"))
    }

    @Test func badArgumentsExplainThemselves() {
        #expect(run(["tests", "split", "--index=3", "--total=3"]).stderr.contains("--index"))
        #expect(run(["tests", "split", "--split-by=magic"]).exitCode == 2)
        #expect(run(["tests", "split", "--frobnicate"]).stderr.contains("--frobnicate"))
        #expect(run(["config", "validate"]).exitCode == 2)
        #expect(run(["tests", "glob"]).exitCode == 2)
    }

    @Test func envSubstReplacesVariablesInTheArgumentOrStdin() {
        let env = ["NAME": "world", "REGION": "eu-west-1", "EMPTY": ""]
        #expect(run(["env", "subst", "Hello $NAME in ${REGION}!"], env: env).stdout == "Hello world in eu-west-1!")
        #expect(run(["env", "subst"], env: env, stdin: "image: app:${NAME}\nregion=$REGION\n").stdout
                == "image: app:world\nregion=eu-west-1\n")
        // Unset variables become empty, as with envsubst; other dollars stay.
        #expect(run(["env", "subst", "[$MISSING][${EMPTY}]"], env: env).stdout == "[][]")
        #expect(run(["env", "subst", "cost $5, ${not a name}, $"], env: env).stdout == "cost $5, ${not a name}, $")
        #expect(run(["env", "subst", "a", "b"]).exitCode == 2)
    }

    @Test func testsRunHandsThisNodesShareToTheCommand() {
        let env = ["CIRCLE_NODE_TOTAL": "2", "CIRCLE_NODE_INDEX": "1"]
        let result = run(["tests", "run", "--command=xargs echo ran", "--split-by=name", "--verbose"], env: env,
                         stdin: "b\na\nc\nd\n")
        #expect(result.exitCode == 0)
        #expect(result.run?.command == "xargs echo ran")
        #expect(result.run?.input == "b\nd\n")
        let spaced = run(["tests", "run", "--command", "cat", "--total", "1"], stdin: "x y")
        #expect(spaced.run?.input == "x\ny\n")
        #expect(run(["tests", "run"]).exitCode == 2)
        #expect(run(["tests", "run", "--command=cat", "--split-by=magic"]).exitCode == 2)
    }

    @Test func aRerunFromFailedRunsOnlyTheTestsThatFailed() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("agent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let env = ["CIRCLE_INTERNAL_AGENT_DIR": directory.path]
        // No list: every test runs.
        #expect(run(["tests", "run", "--command=cat"], env: env, stdin: "a.py\nb.py\n").run?.input == "a.py\nb.py\n")
        try FailedTests.lines([("./tests/b.py", "tests.b"), ("", "com.acme.CTest")])
            .write(to: directory.appendingPathComponent(TestsCommand.failedTestsName), atomically: true, encoding: .utf8)
        let rerun = run(["tests", "run", "--command=cat"], env: env, stdin: "tests/a.py\ntests/b.py\ncom.acme.CTest\n")
        #expect(rerun.run?.input == "tests/b.py\ncom.acme.CTest\n")
        #expect(rerun.stderr.contains("only the tests that failed in the previous run: 2 of 3"), "\(rerun.stderr)")
        // Split as usual across the nodes of a parallel rerun.
        let node = run(["tests", "run", "--command=cat", "--split-by=name"], env: env.merging(
            ["CIRCLE_NODE_TOTAL": "2", "CIRCLE_NODE_INDEX": "1"]) { $1 }, stdin: "tests/a.py\ntests/b.py\ncom.acme.CTest\n")
        #expect(node.run?.input == "tests/b.py\n")
        // None of the failed tests is among the input: all of them run, and the log says why.
        let other = run(["tests", "run", "--command=cat"], env: env, stdin: "x.py\n")
        #expect(other.run?.input == "x.py\n")
        #expect(other.stderr.contains("running them all"))
    }

    @Test func stepHaltLeavesAMarkerInTheAgentDirectory() {
        let halted = run(["step", "halt"], env: ["CIRCLE_INTERNAL_AGENT_DIR": "/job/agent"])
        #expect(halted.exitCode == 0)
        #expect(halted.haltMarker == "/job/agent/halt")
        let outside = run(["step", "halt"])
        #expect(outside.exitCode == 2)
        #expect(outside.haltMarker == nil)
        #expect(outside.stderr.contains("only inside a job"))
    }

    @Test func splitReadsAFileArgument() throws {
        let path = NSTemporaryDirectory() + "gyre-names-\(UUID().uuidString)"
        try Data("x\ny\n".utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(run(["tests", "split", "--total=1", path]).stdout == "x\ny\n")
        #expect(run(["tests", "split", "/nonexistent/gyre"]).exitCode == 2)
    }
}
