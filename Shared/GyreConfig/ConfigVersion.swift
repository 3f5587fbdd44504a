/// The config's `version:`: `2`, `2.0` or `2.1`, written as a number or a string.
enum ConfigVersion: Equatable {
    /// `2` or `2.0`.
    case v2_0
    /// `2.1`: adds orbs, commands, executors, parameters and more.
    case v2_1

    /// Reads `version` from the top-level mapping. On a missing or unknown
    /// version, reports it and returns `.v2_1` so the rest can still be checked.
    static func read(from root: ConfigMapping) -> ConfigVersion {
        guard let node = root.required("version") else { return .v2_1 }
        guard let text = node.scalarText else {
            node.reportExpected("2, 2.0 or 2.1")
            return .v2_1
        }
        switch text {
        case "2", "2.0": return .v2_0
        case "2.1": return .v2_1
        default:
            node.diagnostics.invalid(node.path, "unsupported version \"\(text)\"; expected 2, 2.0 or 2.1")
            return .v2_1
        }
    }
}
