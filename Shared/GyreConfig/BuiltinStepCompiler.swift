import GyreModel

/// Compiles the built-in steps other than `checkout` and `run`: caches,
/// workspaces, artifacts, test results, SSH keys and remote Docker.
struct BuiltinStepCompiler {
    static let kinds: Set<String> = [
        "save_cache", "restore_cache", "persist_to_workspace", "attach_workspace", "store_artifacts",
        "store_test_results", "add_ssh_keys", "setup_remote_docker",
    ]

    /// Kinds that may be written as a bare string (`- add_ssh_keys`).
    static let bareKinds: Set<String> = ["add_ssh_keys", "setup_remote_docker"]

    /// The step, or nil (after reporting, for a known kind; silently for other kinds).
    /// `value` is nil for a bare string step.
    func compile(kind: String, value: ConfigNode?, step: ConfigNode) -> StepPlan? {
        guard Self.kinds.contains(kind) else { return nil }
        if value == nil || value?.isNull == true {
            guard Self.bareKinds.contains(kind) else {
                (value ?? step).diagnostics.invalid((value ?? step).path, "\(kind) needs options: " + Self.help[kind, default: ""])
                return nil
            }
            return kind == "add_ssh_keys" ? .addSSHKeys(AddSSHKeysStep()) : .setupRemoteDocker(SetupRemoteDockerStep())
        }
        guard let value, let mapping = value.mapping(expected: "a mapping of \(kind) options") else { return nil }
        let before = value.diagnostics.count
        let result: StepPlan?
        switch kind {
        case "save_cache": result = saveCache(mapping)
        case "restore_cache": result = restoreCache(mapping)
        case "persist_to_workspace": result = persist(mapping)
        case "attach_workspace": result = attach(mapping)
        case "store_artifacts": result = storeArtifacts(mapping)
        case "store_test_results": result = storeTestResults(mapping)
        case "add_ssh_keys": result = addSSHKeys(mapping)
        default: result = setupRemoteDocker(mapping)
        }
        // `when` (always, on_success, on_fail) works on every built-in step, as on CircleCI.
        if kind != "save_cache", let when = mapping["when"], let condition = when.stepCondition() {
            return value.diagnostics.count == before ? result?.running(when: condition) : nil
        }
        return value.diagnostics.count == before ? result : nil
    }

    static let help: [String: String] = [
        "save_cache": "key and paths",
        "restore_cache": "key or keys",
        "persist_to_workspace": "root and paths",
        "attach_workspace": "at",
        "store_artifacts": "path",
        "store_test_results": "path",
    ]

    private func saveCache(_ m: ConfigMapping) -> StepPlan? {
        m.rejectUnknownKeys(known: ["key", "paths", "name", "when"], owner: "save_cache")
        let key = m.required("key")?.nonEmptyString()
        let paths = m.required("paths").flatMap(paths)
        var step = SaveCacheStep(key: key ?? "", paths: paths ?? [])
        if let name = m["name"]?.nonEmptyString() { step.name = name }
        if let when = m["when"] { step.when = when.stepCondition() ?? .onSuccess }
        return key != nil && paths != nil ? .saveCache(step) : nil
    }

    private func restoreCache(_ m: ConfigMapping) -> StepPlan? {
        m.rejectUnknownKeys(known: ["key", "keys", "name", "when"], owner: "restore_cache")
        var keys: [String] = []
        if let key = m["key"]?.nonEmptyString() { keys.append(key) }
        if let list = m["keys"]?.sequence(expected: "a list of cache keys") {
            keys += list.compactMap { $0.nonEmptyString(expected: "a cache key") }
        }
        guard m.contains("key") || m.contains("keys") else {
            m.node.diagnostics.invalid(m.node.path.appending("keys"), "restore_cache needs key or keys")
            return nil
        }
        var step = RestoreCacheStep(keys: keys)
        if let name = m["name"]?.nonEmptyString() { step.name = name }
        return .restoreCache(step)
    }

    private func persist(_ m: ConfigMapping) -> StepPlan? {
        m.rejectUnknownKeys(known: ["root", "paths", "name", "when"], owner: "persist_to_workspace")
        let root = m.required("root")?.nonEmptyString()
        let paths = m.required("paths").flatMap(paths)
        guard let root, let paths else { return nil }
        var step = PersistToWorkspaceStep(root: root, paths: paths)
        if let name = m["name"]?.nonEmptyString() { step.name = name }
        return .persistToWorkspace(step)
    }

    private func attach(_ m: ConfigMapping) -> StepPlan? {
        m.rejectUnknownKeys(known: ["at", "name", "when"], owner: "attach_workspace")
        guard let at = m.required("at")?.nonEmptyString() else { return nil }
        var step = AttachWorkspaceStep(at: at)
        if let name = m["name"]?.nonEmptyString() { step.name = name }
        return .attachWorkspace(step)
    }

    private func storeArtifacts(_ m: ConfigMapping) -> StepPlan? {
        m.rejectUnknownKeys(known: ["path", "destination", "name", "when"], owner: "store_artifacts")
        guard let path = m.required("path")?.nonEmptyString() else { return nil }
        var step = StoreArtifactsStep(path: path, destination: m["destination"]?.nonEmptyString())
        if let name = m["name"]?.nonEmptyString() { step.name = name }
        return .storeArtifacts(step)
    }

    private func storeTestResults(_ m: ConfigMapping) -> StepPlan? {
        m.rejectUnknownKeys(known: ["path", "name", "when"], owner: "store_test_results")
        guard let path = m.required("path")?.nonEmptyString() else { return nil }
        var step = StoreTestResultsStep(path: path)
        if let name = m["name"]?.nonEmptyString() { step.name = name }
        return .storeTestResults(step)
    }

    private func addSSHKeys(_ m: ConfigMapping) -> StepPlan? {
        m.rejectUnknownKeys(known: ["fingerprints", "name", "when"], owner: "add_ssh_keys")
        var step = AddSSHKeysStep()
        if let one = m["fingerprints"], case .scalar = one.node, !one.isNull {
            // One fingerprint given as a string.
            step.fingerprints = one.nonEmptyString(expected: "a key fingerprint").map { [$0] } ?? []
        } else if let list = m["fingerprints"]?.sequence(expected: "a list of key fingerprints") {
            step.fingerprints = list.compactMap { $0.nonEmptyString(expected: "a key fingerprint") }
        }
        if let name = m["name"]?.nonEmptyString() { step.name = name }
        return .addSSHKeys(step)
    }

    private func setupRemoteDocker(_ m: ConfigMapping) -> StepPlan? {
        m.rejectUnknownKeys(known: ["version", "docker_layer_caching", "name", "when"], owner: "setup_remote_docker")
        var step = SetupRemoteDockerStep(version: m["version"]?.nonEmptyString())
        step.dockerLayerCaching = m["docker_layer_caching"]?.bool() ?? false
        if let name = m["name"]?.nonEmptyString() { step.name = name }
        return .setupRemoteDocker(step)
    }

    /// A list of paths (a single string is accepted as a one-element list).
    private func paths(_ node: ConfigNode) -> [String]? {
        guard let list = node.stringOrStringList(expected: "a list of paths") else { return nil }
        guard !list.isEmpty, list.allSatisfy({ !$0.isEmpty }) else {
            node.diagnostics.invalid(node.path, "expected at least one non-empty path")
            return nil
        }
        return list
    }
}
