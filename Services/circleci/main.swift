#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GyreTestSplit

// The `circleci` command jobs find on their PATH (also as `circleci-agent`):
// `circleci tests glob|split|run`, `circleci env subst`, `circleci step halt`, and for setup
// jobs `circleci-agent continue` and `circleci-agent path-filter` (Dynamic.swift). Built with a static Swift runtime so it runs in any
// glibc-based job image.

func environment() -> [String: String] {
    var values: [String: String] = [:]
    var pointer = environ
    while let entry = pointer.pointee {
        let text = String(cString: entry)
        if let equals = text.firstIndex(of: "=") {
            values[String(text[..<equals])] = String(text[text.index(after: equals)...])
        }
        pointer += 1
    }
    return values
}

func write(_ text: String, to fd: Int32) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        if count <= 0 { return }
        bytes = bytes.dropFirst(count)
    }
}

let arguments = Array(CommandLine.arguments.dropFirst())
switch arguments.first {
case "continue": continuePipeline(Array(arguments.dropFirst()), environment())
case "path-filter": pathFilter(environment())
default: break
}

let command = TestsCommand(environment: environment(), readStdin: { FileSystem.readAll(0) })
var result = command.run(Array(CommandLine.arguments.dropFirst()))
if let marker = result.haltMarker {
    let fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if fd < 0 {
        result = .init(stdout: "", stderr: "circleci: cannot halt the job: \(marker) cannot be written\n", exitCode: 1)
    } else {
        close(fd)
    }
}
write(result.stdout, to: 1)
write(result.stderr, to: 2)
if let run = result.run {
    // `tests run`: the command reads this node's tests on its standard input.
    guard let pipe = popen(run.command, "w") else {
        write("circleci: cannot run \(run.command)\n", to: 2)
        exit(1)
    }
    _ = run.input.withCString { fputs($0, pipe) }
    let status = pclose(pipe)
    exit(status == -1 ? 1 : (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f))
}
exit(result.exitCode)
