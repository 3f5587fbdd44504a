/// Valid CircleCI that this server does not run yet, by where it can appear.
///
/// Keys listed here are reported as `.unsupported` ("<feature> is not supported
/// yet") instead of being ignored or called unknown. Implementing a feature
/// means moving its key from here into the compiler that owns that level.
enum UnsupportedFeatures {
    /// Top-level keys.
    static let topLevel: [String: String] = [
        "orbs": "orbs",
        "commands": "commands",
        "executors": "executors",
        "parameters": "parameters",
        "setup": "setup (dynamic configuration)",
    ]

    /// Keys of a job under `jobs`.
    static let jobKeys: [String: String] = [
        "executor": "executor",
        "macos": "macos",
        "windows": "windows",
        "parameters": "parameters",
        "branches": "branches",
    ]

    /// Keys of one image under a job's `docker`.
    static let dockerImageKeys: [String: String] = [
        "auth": "auth",
        "aws_auth": "aws_auth",
    ]

    /// Keys of a job's `machine` mapping.
    static let machineKeys: [String: String] = [
        "docker_layer_caching": "docker_layer_caching",
    ]

    /// Step types (the key of a step, or a bare string step).
    static let stepKinds: [String: String] = [
        "save_cache": "save_cache",
        "restore_cache": "restore_cache",
        "persist_to_workspace": "persist_to_workspace",
        "attach_workspace": "attach_workspace",
        "store_artifacts": "store_artifacts",
        "store_test_results": "store_test_results",
        "add_ssh_keys": "add_ssh_keys",
        "setup_remote_docker": "setup_remote_docker",
        "deploy": "deploy",
        "when": "when",
        "unless": "unless",
    ]

    /// Keys of a `checkout` step mapping (newer CircleCI options).
    static let checkoutKeys: [String: String] = [
        "method": "method",
        "depth": "depth",
    ]

    /// Keys of one workflow.
    static let workflowKeys: [String: String] = [
        "triggers": "triggers",
        "when": "when",
        "unless": "unless",
    ]

    /// Keys of a job entry in a workflow's `jobs` list.
    static let workflowJobKeys: [String: String] = [
        "context": "context",
        "filters": "filters",
        "matrix": "matrix",
        "pre-steps": "pre-steps",
        "post-steps": "post-steps",
    ]
}
