/// The `circleci` command inside a job (also called as `circleci-agent`):
/// `circleci tests glob`, `circleci tests split`, `circleci env subst` and
/// `circleci step halt`. Pure over its inputs so it can be tested; the
/// executable feeds it argv, the environment and stdin, and carries out
/// `halt` (a marker file the build agent looks for after each step).
public struct TestsCommand: Sendable {
    public struct Result: Sendable, Equatable {
        public var stdout: String
        public var stderr: String
        public var exitCode: Int32
        /// `step halt`: the marker file to create so the job ends, successfully, after this step.
        public var haltMarker: String? = nil
        /// `tests run`: the shell command to run, with this node's tests (one a line) on its standard input.
        public var run: (command: String, input: String)? = nil

        public init(stdout: String, stderr: String, exitCode: Int32, haltMarker: String? = nil,
                    run: (command: String, input: String)? = nil) {
            self.stdout = stdout
            self.stderr = stderr
            self.exitCode = exitCode
            self.haltMarker = haltMarker
            self.run = run
        }

        public static func == (a: Result, b: Result) -> Bool {
            a.stdout == b.stdout && a.stderr == b.stderr && a.exitCode == b.exitCode && a.haltMarker == b.haltMarker
                && a.run?.command == b.run?.command && a.run?.input == b.run?.input
        }
    }

    /// Where the build agent looks for the halt marker (set in every job).
    public static let agentDirectoryVariable = "CIRCLE_INTERNAL_AGENT_DIR"
    public static let haltMarkerName = "halt"
    /// In the agent directory of a job rerun from failed: the previous run's failed tests (`file<TAB>classname` lines).
    public static let failedTestsName = "failed-tests"

    public var environment: [String: String]
    /// Reads all of stdin (only called when no input file is given).
    public var readStdin: @Sendable () -> [UInt8]

    public init(environment: [String: String], readStdin: @escaping @Sendable () -> [UInt8]) {
        self.environment = environment
        self.readStdin = readStdin
    }

    static let usage = """
        Usage:
          circleci tests glob PATTERN...
          circleci tests split [--split-by=name|filesize|timings] [--timings-type=filename|classname|testname]
                               [--total N] [--index I] [FILE]
          circleci tests run --command=CMD [split options]   (CMD gets this node's share of stdin's tests on its stdin)
          circleci env subst [TEXT]     (TEXT, or standard input, with $VAR and ${VAR} replaced)
          circleci step halt            (end the job successfully after this step)

        """

    public func run(_ arguments: [String]) -> Result {
        guard arguments.count >= 2 else { return failure("a command is needed") }
        let rest = Array(arguments.dropFirst(2))
        switch (arguments[0], arguments[1]) {
        case ("tests", "glob"):
            guard !rest.isEmpty else { return failure("circleci tests glob needs at least one pattern") }
            return Result(stdout: lines(Glob.files(matching: rest)), stderr: "", exitCode: 0)
        case ("tests", "split"):
            return split(rest)
        case ("tests", "run"):
            return runTests(rest)
        case ("env", "subst"):
            guard rest.count <= 1 else { return failure("circleci env subst takes one text argument (or standard input)") }
            let text = rest.first ?? String(decoding: readStdin(), as: UTF8.self)
            return Result(stdout: Self.substitute(text, environment), stderr: "", exitCode: 0)
        case ("step", "halt"):
            guard rest.isEmpty else { return failure("circleci step halt takes no arguments") }
            guard let directory = environment[Self.agentDirectoryVariable], !directory.isEmpty else {
                return failure("circleci step halt works only inside a job (\(Self.agentDirectoryVariable) is not set)")
            }
            return Result(stdout: "", stderr: "The job will end after this step (circleci step halt).\n", exitCode: 0,
                          haltMarker: "\(directory)/\(Self.haltMarkerName)")
        default:
            return failure("unknown command `\(arguments[0]) \(arguments[1])`")
        }
    }

    /// `circleci tests run --command=CMD [--split-by ...]`: splits the test
    /// names on stdin like `tests split` and runs CMD (with `sh -c`) with this
    /// node's share on its standard input; exits with CMD's status.
    func runTests(_ arguments: [String]) -> Result {
        var command: String?
        var splitArguments: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            if argument.hasPrefix("--command=") {
                command = String(argument.dropFirst("--command=".count))
            } else if argument == "--command", index < arguments.count {
                command = arguments[index]
                index += 1
            } else if argument == "--verbose" || argument.hasPrefix("--test-results-path") {
                // Accepted: output is always shown; results are stored by store_test_results.
                if argument == "--test-results-path", index < arguments.count { index += 1 }
            } else {
                splitArguments.append(argument)
            }
        }
        guard let command, !command.isEmpty else { return failure("circleci tests run needs --command") }
        // A rerun from failed: only the tests that failed in the previous run (split as usual).
        var splitter = self
        var note = ""
        if let directory = environment[Self.agentDirectoryVariable], !directory.isEmpty,
           let listed = FileSystem.read("\(directory)/\(Self.failedTestsName)") {
            let failed = FailedTests(String(decoding: listed, as: UTF8.self))
            let input = String(decoding: readStdin(), as: UTF8.self)
            let names = input.split(whereSeparator: \.isWhitespace).map(String.init)
            let kept = failed.filter(names)
            if kept.isEmpty {
                note = "None of the \(failed.count) tests that failed in the previous run is among these \(names.count); running them all.\n"
                splitter.readStdin = { Array(input.utf8) }
            } else {
                note = "Rerunning only the tests that failed in the previous run: \(kept.count) of \(names.count).\n"
                let text = kept.joined(separator: "\n") + "\n"
                splitter.readStdin = { Array(text.utf8) }
            }
        }
        let share = splitter.split(splitArguments)
        guard share.exitCode == 0 else { return share }
        return Result(stdout: "", stderr: note + share.stderr, exitCode: 0, run: (command, share.stdout))
    }

    /// `$NAME` and `${NAME}` replaced by their values (empty when unset), as
    /// `envsubst` does; any other `$` stays as it is.
    static func substitute(_ text: String, _ environment: [String: String]) -> String {
        func isNameStart(_ c: Character) -> Bool { c == "_" || (c.isASCII && c.isLetter) }
        func isName(_ c: Character) -> Bool { isNameStart(c) || (c.isASCII && c.isNumber) }
        var result = ""
        var rest = Substring(text)
        while let dollar = rest.firstIndex(of: "$") {
            result += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.first == "{", let close = after.firstIndex(of: "}") {
                let name = after[after.index(after: after.startIndex)..<close]
                if let first = name.first, isNameStart(first), name.allSatisfy(isName) {
                    result += environment[String(name)] ?? ""
                    rest = after[after.index(after: close)...]
                    continue
                }
            } else if let first = after.first, isNameStart(first) {
                let name = after.prefix(while: isName)
                result += environment[String(name)] ?? ""
                rest = after.dropFirst(name.count)
                continue
            }
            result += "$"
            rest = after
        }
        return result + rest
    }

    func split(_ arguments: [String]) -> Result {
        var options: [String: String] = [:]
        var file: String?
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            index += 1
            guard argument.hasPrefix("--") else {
                guard file == nil else { return failure("more than one input file: \(file!) and \(argument)") }
                file = argument
                continue
            }
            let body = argument.dropFirst(2)
            if let equals = body.firstIndex(of: "=") {
                options[String(body[..<equals])] = String(body[body.index(after: equals)...])
            } else if ["split-by", "timings-type", "total", "index", "timings-file", "show-counts"].contains(String(body)),
                      index < arguments.count, body != "show-counts" {
                options[String(body)] = arguments[index]
                index += 1
            } else {
                options[String(body)] = ""
            }
        }
        let known: Set<String> = ["split-by", "timings-type", "total", "index", "timings-file", "show-counts"]
        if let unknown = options.keys.sorted().first(where: { !known.contains($0) }) {
            return failure("unknown option --\(unknown)")
        }
        guard let total = Int(options["total"] ?? environment["CIRCLE_NODE_TOTAL"] ?? "1"), total >= 1 else {
            return failure("--total (or CIRCLE_NODE_TOTAL) must be a whole number of at least 1")
        }
        guard let node = Int(options["index"] ?? environment["CIRCLE_NODE_INDEX"] ?? "0"), node >= 0, node < total else {
            return failure("--index (or CIRCLE_NODE_INDEX) must be a whole number from 0 to \(total - 1)")
        }
        let input: [UInt8]
        if let file {
            guard let bytes = FileSystem.read(file) else { return failure("cannot read \(file)") }
            input = bytes
        } else {
            input = readStdin()
        }
        let names = String(decoding: input, as: UTF8.self)
            .split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).map(String.init)
        var warning = ""
        let strategy: TestSplitter.Strategy
        switch options["split-by"] ?? "name" {
        case "name": strategy = .name
        case "filesize": strategy = .filesize
        case "timings":
            guard let type = TimingsType(rawValue: options["timings-type"] ?? "filename") else {
                return failure("--timings-type must be filename, classname or testname")
            }
            let path = options["timings-file"] ?? environment["CIRCLE_INTERNAL_TEST_TIMINGS"]
            let timings = path.flatMap(FileSystem.read).flatMap { TimingsFile(json: $0) }
            if timings == nil {
                warning = "Warning: no test timings are recorded for this project yet; splitting by name instead\n"
            }
            let table = timings?.table(for: type) ?? [:]
            strategy = table.isEmpty ? .name : .timings(table)
            if timings != nil && table.isEmpty {
                warning = "Warning: no \(type.rawValue) timings are recorded for this project; splitting by name instead\n"
            }
        case let other:
            return failure("--split-by must be name, filesize or timings, not \(other)")
        }
        let share = TestSplitter(strategy: strategy, total: total, index: node).split(names)
        return Result(stdout: lines(share), stderr: warning, exitCode: 0)
    }

    func lines(_ items: [String]) -> String {
        items.isEmpty ? "" : items.joined(separator: "\n") + "\n"
    }

    func failure(_ message: String) -> Result {
        Result(stdout: "", stderr: "circleci: \(message)\n" + Self.usage, exitCode: 2)
    }
}
