#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import GyreTestSplit

// `circleci-agent continue` and `circleci-agent path-filter`: what the shipped
// circleci/continuation and circleci/path-filtering orbs run in a setup job.

/// Sends `request` over the unix socket at `path`; the raw response, or an error message.
func exchange(socketPath path: String, request: String) -> ([UInt8]?, String?) {
    let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return (nil, "cannot create a socket") }
    defer { close(fd) }
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { return (nil, "socket path too long: \(path)") }
    withUnsafeMutableBytes(of: &address.sun_path) { raw in
        for (index, byte) in bytes.enumerated() { raw[index] = byte }
        raw[bytes.count] = 0
    }
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
    }
    guard connected == 0 else { return (nil, "cannot connect to the build agent at \(path) (errno \(errno))") }
    write(request, to: fd)
    return (FileSystem.readAll(fd), nil)
}

/// Runs `command` with `sh -c`; its standard output and exit status.
func capture(_ command: String) -> (output: String, status: Int32) {
    guard let pipe = popen(command, "r") else { return ("", 127) }
    var output: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&buffer, 1, buffer.count, pipe)
        if count <= 0 { break }
        output.append(contentsOf: buffer[0..<count])
    }
    let status = pclose(pipe)
    return (String(decoding: output, as: UTF8.self), status == -1 ? 1 : (status >> 8) & 0xff)
}

func shellQuote(_ text: String) -> String { "'" + text.replacing("'", with: "'\\''") + "'" }

/// Where path-filter lists the config files to continue with: the job's own agent directory
/// (host runners share /tmp), else /tmp/filtered-config-list as the CircleCI orb has it.
func configListPath(_ env: [String: String]) -> String {
    if let directory = env["CIRCLE_INTERNAL_AGENT_DIR"], !directory.isEmpty { return "\(directory)/filtered-config-list" }
    return "/tmp/filtered-config-list"
}

func fail(_ message: String) -> Never {
    write("circleci-agent: \(message)\n", to: 2)
    exit(1)
}

/// `continue [--config PATH] [--config-list FILE] [--parameters JSON|PATH]` (defaults: GYRE_CONTINUE_CONFIG,
/// GYRE_CONTINUE_CONFIG_LIST, GYRE_CONTINUE_PARAMETERS). A config list (one path per line, as path-filter
/// writes it) replaces --config: its files are merged, later over earlier.
func continuePipeline(_ arguments: [String], _ env: [String: String]) -> Never {
    var configPath = env["GYRE_CONTINUE_CONFIG"] ?? ""
    var parameters = env["GYRE_CONTINUE_PARAMETERS"] ?? "{}"
    var listPath = env["GYRE_CONTINUE_CONFIG_LIST"] == "true" ? configListPath(env) : ""
    var rest = arguments[...]
    while let flag = rest.popFirst() {
        guard let value = rest.popFirst() else { fail("\(flag) needs a value") }
        switch flag {
        case "--config", "--configuration": configPath = value
        case "--parameters": parameters = value
        case "--config-list": listPath = value
        default: fail("unknown option \(flag) (continue takes --config PATH and --parameters JSON|PATH)")
        }
    }
    guard let key = env[Continuation.keyVariable], !key.isEmpty else {
        fail("\(Continuation.keyVariable) is not set: only the jobs of a setup workflow (setup: true) can continue a pipeline")
    }
    guard let socketPath = env[Continuation.socketVariable], !socketPath.isEmpty else {
        fail("\(Continuation.socketVariable) is not set: this build agent does not offer the API to jobs (set its GYRE_API_URL)")
    }
    var paths = [configPath]
    if !listPath.isEmpty, let list = FileSystem.read(listPath) {
        let listed = String(decoding: list, as: UTF8.self).split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(inSet: " \t") }.filter { !$0.isEmpty }
        if !listed.isEmpty { paths = listed }
    }
    guard !paths[0].isEmpty else { fail("give the configuration to continue with: --config PATH") }
    var texts: [String] = []
    for path in paths {
        guard let text = FileSystem.read(path) else {
            fail("cannot read the configuration \(path): does the file exist (was the code checked out)?")
        }
        texts.append(String(decoding: text, as: UTF8.self))
    }
    configPath = paths.joined(separator: " + ")
    if parameters.first != "{", let file = FileSystem.read(parameters) {
        parameters = String(decoding: file, as: UTF8.self)
    }
    let body: String
    do {
        body = try Continuation.body(key: key, configuration: texts[0], parameters: parameters,
                                     more: Array(texts.dropFirst()))
    } catch {
        fail(error.description)
    }
    write("Continuing the pipeline with \(configPath) and parameters \(parameters.prefix(300))\n", to: 1)
    let (response, problem) = exchange(socketPath: socketPath, request: Continuation.httpRequest(body: body))
    guard let response, let parsed = Continuation.parseResponse(response) else {
        fail(problem ?? "the build agent answered something that is not HTTP")
    }
    let outcome = Continuation.outcome(status: parsed.status, body: parsed.body)
    write(outcome.message, to: outcome.exitCode == 0 ? 1 : 2)
    exit(outcome.exitCode)
}

/// `path-filter` (env BASE_REVISION, MAPPING, OUTPUT_PATH, CONFIG_PATH), as the path-filtering orb's set-parameters.
func pathFilter(_ env: [String: String]) -> Never {
    let base = env["BASE_REVISION"] ?? "main"
    let outputPath = env["OUTPUT_PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp/pipeline-parameters.json"
    let configPath = env["CONFIG_PATH"].flatMap { $0.isEmpty ? nil : $0 } ?? ".circleci/continue_config.yml"
    var mapping = env["MAPPING"] ?? ""
    if !mapping.contains("\n"), !mapping.contains(" "), let file = FileSystem.read(mapping) {
        mapping = String(decoding: file, as: UTF8.self)
    }
    let head = capture("git rev-parse HEAD").output.trimmingCharacters(inSet: " \n")
    guard !head.isEmpty else { fail("not in a git checkout: run checkout before path-filter") }
    var compared = ""
    if !base.isEmpty {
        for candidate in ["origin/\(base)", base] {
            let found = capture("git merge-base \(shellQuote(candidate)) HEAD 2>/dev/null")
            if found.status == 0 { compared = found.output.trimmingCharacters(inSet: " \n"); break }
        }
        if compared.isEmpty { write("Base revision \(base) was not found; comparing with the previous commit\n", to: 1) }
    }
    if compared.isEmpty || compared == head {
        // On the base branch itself: the last state before this commit (or the empty tree for a first commit).
        let parent = capture("git rev-parse HEAD~1 2>/dev/null")
        compared = parent.status == 0 ? parent.output.trimmingCharacters(inSet: " \n") : "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
    }
    write("Comparing \(compared)...\(head)\n", to: 1)
    let diff = capture("git -c core.quotepath=false diff --name-only \(compared) HEAD")
    guard diff.status == 0 else { fail("git diff failed (status \(diff.status))") }
    let changed = diff.output.split(separator: "\n").map(String.init)
    write("Changed files:\n" + changed.map { "  \($0)\n" }.joined(), to: 1)
    let outcome: PathFilter.Outcome
    do {
        outcome = try PathFilter.apply(mapping: mapping, changed: changed, configPath: configPath)
    } catch {
        fail(error.description)
    }
    if outcome.parameters.isEmpty { write("No change detected in the paths defined in the mapping parameter\n", to: 1) }
    write("Parameters: \(outcome.json)\n", to: 1)
    let fd = open(outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard fd >= 0 else { fail("cannot write \(outputPath)") }
    write(outcome.json, to: fd)
    close(fd)
    let listFD = open(configListPath(env), O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    if listFD >= 0 {
        write(outcome.configFiles.map { $0 + "\n" }.joined(), to: listFD)
        close(listFD)
    }
    exit(0)
}
