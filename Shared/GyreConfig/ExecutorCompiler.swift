import GyreModel
import Yams

/// Compiles a job's executor (`docker` or `machine`) and its `resource_class`.
///
/// A job names exactly one executor. `docker` runs the steps in the first of
/// its images; `machine` runs them on a self-hosted runner, chosen by a
/// `namespace/name` resource class, or waits for an agent that offers its
/// machine class (Linux, or Windows for `windows.*`). `macos` and `windows`
/// jobs compile to their class the same way.
struct ExecutorCompiler {
    /// The compiled executor and the resource class the job asks for.
    struct Result {
        var executor: ExecutorPlan
        var resourceClass: String
        /// The executor's own default shell (`machine: {shell}`, `macos: {shell}`); the job's `shell` wins over it.
        var shell: String?
    }

    /// Every key that selects an executor (supported or not); a job has exactly one.
    static let executorKeys = ["docker", "machine", "macos", "windows", "executor"]

    static let dockerResourceClasses = ["small", "medium", "medium+", "large", "xlarge", "2xlarge", "2xlarge+"]
    /// Other classes CircleCI's schema allows on a docker job: valid when
    /// validating, not something a build agent here offers.
    static let cloudDockerResourceClasses: Set<String> = [
        "arm.medium", "arm.large", "arm.xlarge", "arm.2xlarge", "gpu.nvidia.small", "gpu.nvidia.medium",
        "gpu.nvidia.large",
    ]
    static let defaultDockerResourceClass = "medium"

    /// `auth` / `aws_auth` are pull credentials: Gyre runs images already on the
    /// agent's Docker engine, so they are accepted and not used.
    static let imageKeys: Set<String> = ["image", "name", "entrypoint", "command", "user", "environment",
                                         "auth", "aws_auth"]
    /// `image` and `docker_layer_caching` are accepted; the runner decides what runs.
    /// `shell` is the job's default shell unless the job gives `shell` itself.
    static let machineKeys: Set<String> = ["image", "docker_layer_caching", "resource_class", "enabled", "shell"]

    /// The executor of job `name`, or nil after reporting (an unsupported
    /// executor has already been reported by the job's key check).
    func compile(job: ConfigMapping, name: String) -> Result? {
        let present = Self.executorKeys.filter(job.contains)
        guard !present.isEmpty else {
            job.node.diagnostics.invalid(job.node.path, "job \"\(name)\" has no executor; add docker or machine")
            return nil
        }
        guard present.count == 1 else {
            job.node.diagnostics.invalid(job.node.path, "job \"\(name)\" has more than one executor ("
                + present.joined(separator: ", ") + "); use exactly one")
            return nil
        }
        switch present[0] {
        case "docker":
            guard let docker = job["docker"] else { return nil }
            let images = dockerImages(docker)
            let resourceClass = dockerResourceClass(job["resource_class"])
            guard let images, let resourceClass else { return nil }
            return Result(executor: .docker(images: images), resourceClass: resourceClass)
        case "machine":
            // A Windows class (`machine: true` or a Windows image with `resource_class: windows.medium`,
            // as CircleCI's Windows docs and the windows orb write it) compiles like a `windows` job.
            guard let machine = job["machine"] else { return nil }
            let valid = checkMachine(machine)
            let resourceClass = machineResourceClass(of: job)
            let shell = nestedShell(machine)
            guard valid, let resourceClass else { return nil }
            return Result(executor: .machine(resourceClass: resourceClass), resourceClass: resourceClass, shell: shell)
        case let kind:
            // macOS and Windows jobs are valid; whether one can run is a placement
            // matter: it waits for an agent that offers its class (an operator may
            // map the class to a self-hosted runner class), with the reason shown.
            guard let node = job[kind], case .mapping = node.node else {
                job[kind]?.reportExpected("a mapping (e.g. xcode: 15.4.0, or name: win/default)")
                return nil
            }
            let fallback = kind == "macos" ? Self.defaultMacOSResourceClass : Self.defaultWindowsResourceClass
            guard let given = job["resource_class"].map({ $0.string() }) ?? fallback else { return nil }
            let before = job.node.diagnostics.count
            if let resourceClassNode = job["resource_class"] {
                Self.checkResourceClass(given, kind: kind, at: resourceClassNode.path,
                                        diagnostics: resourceClassNode.diagnostics, executor: node)
            }
            let shell = kind == "macos" ? nestedShell(node) : nil
            guard job.node.diagnostics.count == before else { return nil }
            let resourceClass = kind == "macos" ? Self.macOSPlanClass(given) : given
            return Result(executor: .machine(resourceClass: resourceClass), resourceClass: resourceClass, shell: shell)
        }
    }

    /// `shell` under `machine:` or `macos:` (the 2.1 schema allows it on both), or nil.
    private func nestedShell(_ node: ConfigNode) -> String? {
        guard case .mapping = node.node, let shell = node.mapping()?["shell"] else { return nil }
        return shell.nonEmptyString(expected: "a shell command line, such as /bin/bash -eo pipefail")
    }

    static let defaultMacOSResourceClass = "macos.m4pro.medium"
    static let defaultWindowsResourceClass = "windows.medium"
    /// A Linux machine job without `resource_class`.
    static let defaultMachineResourceClass = "medium"

    /// macOS classes CircleCI names without the `macos.` prefix: `m4pro.medium` and
    /// `m4pro.large` (the macOS entries of the 2.1 schema's resource_class enum) and
    /// `medium` and `large` (the macOS table of the 2021 configuration reference).
    /// Any `macos.*` class (`macos.m1.medium.gen1`, ...) is accepted too.
    static let unprefixedMacOSResourceClasses = ["m4pro.medium", "m4pro.large", "medium", "large"]

    /// `medium` and `large` are the Intel macOS classes of the 2021 reference, for the Xcode
    /// versions of their time; CircleCI retired them in 2023, as Xcode 15 came out, and the
    /// schema's samples reject `xcode: 15.4.0` with `resource_class: medium`
    /// (negative_test__invalid-machine-executor-2). So they are accepted with an older Xcode
    /// (or one not known yet) and refused from this Xcode major version on.
    static let firstXcodeWithoutIntelClasses = 15
    static let intelMacOSResourceClasses: Set<String> = ["medium", "large"]

    /// The class a macOS job's plan asks for: `macos.`-prefixed, as Gyre names macOS
    /// classes (its default is `macos.m4pro.medium`), so that `medium` and `large` never
    /// ask for the Linux machine classes of the same names.
    static func macOSPlanClass(_ resourceClass: String) -> String {
        resourceClass.hasPrefix("macos.") ? resourceClass : "macos." + resourceClass
    }

    static func isMacOSResourceClass(_ resourceClass: String) -> Bool {
        resourceClass.hasPrefix("macos.") || unprefixedMacOSResourceClasses.contains(resourceClass)
    }

    /// The major version of a `macos: {xcode: ...}` value, or nil when there is none or it is
    /// not known yet (a parameter, validation's placeholder).
    static func xcodeMajorVersion(_ macos: ConfigNode?) -> Int? {
        guard let text = macos?.node.mapping?[Node("xcode")]?.string else { return nil }
        return Int(text.trimmingCharacters(in: .whitespaces).prefix { $0 != "." })
    }

    /// The image `machine:` names when it is not a Windows one (`image: ubuntu-2204:current`;
    /// CircleCI's Windows images are `windows-*`). Nil for `machine: true`, no image, a Windows
    /// image, or an image not known yet (a parameter, validation's placeholder).
    static func namesNonWindowsImage(_ machine: ConfigNode?) -> String? {
        guard let image = machine?.node.mapping?[Node("image")]?.string?.trimmingCharacters(in: .whitespaces),
              !image.isEmpty, !image.contains("<<"), !image.contains(ParameterSpec.stringPlaceholder),
              !image.hasPrefix("windows-") else { return nil }
        return image
    }

    /// True when `machine:` names a Windows image (`windows-server-2022-gui:current`, `windows-default`).
    static func namesWindowsImage(_ machine: ConfigNode?) -> Bool {
        machine?.node.mapping?[Node("image")]?.string?.trimmingCharacters(in: .whitespaces).hasPrefix("windows-") ?? false
    }

    /// Reports a resource class that does not fit the executor kind: a macOS
    /// class on `machine`, a Windows class on a `machine` with a Linux image, a
    /// Windows or macOS class on `docker`, a non-macOS class on `macos`, a
    /// non-Windows class on `windows`. A Windows class on `machine` without an
    /// image or with a Windows one is CircleCI's documented Windows form.
    /// `executor` is the node under the kind's key (`machine:`, `macos:`), for its image or Xcode.
    static func checkResourceClass(_ resourceClass: String, kind: String, at path: NodePath, diagnostics: Diagnostics,
                                   executor: ConfigNode? = nil) {
        switch kind {
        case "machine" where resourceClass.hasPrefix("macos."):
            diagnostics.invalid(path, "resource class \"\(resourceClass)\" is not for a machine (Linux or Windows) "
                + "executor; macOS jobs use macos: {xcode: ...}")
        case "machine" where resourceClass.hasPrefix("windows."):
            if let image = namesNonWindowsImage(executor) {
                diagnostics.invalid(path, "resource class \"\(resourceClass)\" is not for a machine (Linux) executor: "
                    + "image \"\(image)\" is not a Windows image (windows-*)")
            }
        case "docker" where resourceClass.hasPrefix("windows.") || resourceClass.hasPrefix("macos."):
            diagnostics.invalid(path, "resource class \"\(resourceClass)\" is not for a docker (Linux) executor")
        case "macos":
            // Validating, a class taken from a required parameter is left to processing.
            if diagnostics.validating && resourceClass.contains(ParameterSpec.stringPlaceholder) { return }
            let xcode = xcodeMajorVersion(executor)
            let retired = intelMacOSResourceClasses.contains(resourceClass)
                && xcode.map { $0 >= firstXcodeWithoutIntelClasses } ?? false
            guard !isMacOSResourceClass(resourceClass) || retired else { return }
            let accepted = retired ? unprefixedMacOSResourceClasses.filter { !intelMacOSResourceClasses.contains($0) }
                : unprefixedMacOSResourceClasses
            let note = retired ? " for Xcode \(xcode ?? 0) (medium and large are CircleCI's Intel classes, for Xcode "
                + "\(firstXcodeWithoutIntelClasses - 1) and older)" : ""
            diagnostics.invalid(path, "resource class \"\(resourceClass)\" is not a macOS resource class\(note); expected "
                + accepted.joined(separator: ", ") + " or macos.* (e.g. macos.m1.medium.gen1)")
        case "windows" where !resourceClass.hasPrefix("windows."):
            diagnostics.invalid(path, "resource class \"\(resourceClass)\" is not a Windows resource class (windows.*)")
        default:
            break
        }
    }

    // MARK: - docker

    private func dockerImages(_ node: ConfigNode) -> [DockerImagePlan]? {
        guard let elements = node.sequence(expected: "a list of images") else { return nil }
        guard !elements.isEmpty else {
            node.diagnostics.invalid(node.path, "docker needs at least one image")
            return nil
        }
        let images = elements.map(dockerImage)
        return images.contains(where: { $0 == nil }) ? nil : images.compactMap { $0 }
    }

    private func dockerImage(_ node: ConfigNode) -> DockerImagePlan? {
        guard let mapping = node.mapping(expected: "a mapping with an image") else { return nil }
        let before = node.diagnostics.count
        mapping.rejectUnknownKeys(known: Self.imageKeys, owner: "docker image")
        let image = mapping.required("image")?.nonEmptyString()
        var plan = DockerImagePlan(image: image ?? "")
        plan.name = mapping["name"]?.nonEmptyString()
        plan.entrypoint = mapping["entrypoint"].flatMap(commandWords)
        plan.command = mapping["command"].flatMap(commandWords)
        plan.user = mapping["user"]?.nonEmptyString()
        plan.environment = mapping["environment"].map { EnvironmentCompiler().compile($0) } ?? []
        return node.diagnostics.count == before ? plan : nil
    }

    /// `entrypoint` / `command`: a list of words, or a string split like a shell would.
    private func commandWords(_ node: ConfigNode) -> [String]? {
        guard let words = node.stringOrStringList() else { return nil }
        guard case .sequence = node.node else {
            guard let split = ShellWords.split(words.first ?? "") else {
                node.diagnostics.invalid(node.path, "unbalanced quotes in \"\(words.first ?? "")\"")
                return nil
            }
            return split
        }
        return words
    }

    private func dockerResourceClass(_ node: ConfigNode?) -> String? {
        guard let node else { return Self.defaultDockerResourceClass }
        guard let value = node.string() else { return nil }
        // Validating, a class taken from a required parameter is left to processing.
        if node.diagnostics.validating && value.contains(ParameterSpec.stringPlaceholder) { return value }
        // `<size>.gen2` is the same size on newer hardware.
        let size = value.hasSuffix(".gen2") ? String(value.dropLast(".gen2".count)) : value
        guard Self.dockerResourceClasses.contains(size) else {
            let message = "unknown resource class \"\(value)\" for a docker job; expected "
                + Self.dockerResourceClasses.joined(separator: ", ")
            let before = node.diagnostics.count
            Self.checkResourceClass(value, kind: "docker", at: node.path, diagnostics: node.diagnostics)
            if node.diagnostics.count != before {
                return nil
            } else if Self.cloudDockerResourceClasses.contains(value) || Self.isRunnerResourceClass(value) {
                // Valid: the job waits for a builder that offers the class (`docker:<class>`).
                return value
            } else {
                node.diagnostics.invalid(node.path, message)
            }
            return nil
        }
        return value
    }

    // MARK: - machine

    /// `machine: true`, or a mapping (`image` is accepted; the runner decides what runs).
    private func checkMachine(_ node: ConfigNode) -> Bool {
        guard case .mapping = node.node else {
            if let text = node.scalarText, ["true", "yes", "on"].contains(text.lowercased()) { return true }
            node.reportExpected("true or a mapping with an image")
            return false
        }
        guard let mapping = node.mapping() else { return false }
        let before = node.diagnostics.count
        mapping.rejectUnknownKeys(known: Self.machineKeys, owner: "machine")
        _ = mapping["image"]?.nonEmptyString()
        _ = mapping["enabled"]?.bool()
        return node.diagnostics.count == before
    }

    /// A machine job's class: a self-hosted runner class (`namespace/name`)
    /// or a machine class (`medium`, `large`, `arm.medium`, `windows.medium`,
    /// ...; `medium` when none is given, `windows.medium` for a Windows image),
    /// which waits for an agent that offers it.
    private func machineResourceClass(of job: ConfigMapping) -> String? {
        let nested = job["machine"]?.node.mapping != nil ? job["machine"]?.mapping()?["resource_class"] : nil
        if let nested, job.contains("resource_class") {
            job.node.diagnostics.invalid(nested.path, "resource_class is given both here and on the job; give it once")
            return nil
        }
        guard let node = job["resource_class"] ?? nested else {
            return Self.namesWindowsImage(job["machine"]) ? Self.defaultWindowsResourceClass
                : Self.defaultMachineResourceClass
        }
        guard let value = node.string() else { return nil }
        let before = node.diagnostics.count
        Self.checkResourceClass(value, kind: "machine", at: node.path, diagnostics: node.diagnostics,
                                executor: job["machine"])
        guard node.diagnostics.count == before else { return nil }
        guard Self.isRunnerResourceClass(value) || Self.isMachineClassName(value) else {
            node.diagnostics.invalid(node.path, "\"\(value)\" is not a resource class: expected a machine class "
                + "(medium, large, arm.medium, ...) or a self-hosted runner class <namespace>/<name>")
            return nil
        }
        return value
    }

    /// A machine class name as CircleCI spells them (`large`, `arm.medium`, `gpu.nvidia.small`, `medium+`).
    static func isMachineClassName(_ value: String) -> Bool {
        !value.isEmpty && value.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || ".-_+".contains($0)) }
    }

    /// `namespace/name`, each part letters, digits, `_`, `.` or `-`.
    static func isRunnerResourceClass(_ value: String) -> Bool {
        let parts = value.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        return parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "_.-".contains($0)) }
        }
    }
}
