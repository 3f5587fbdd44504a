import GyreModel

/// Collects every problem found while compiling one config, so that a single
/// pass reports as many as it can instead of stopping at the first.
///
/// Not shared across threads: one instance lives for one `compile` call.
final class Diagnostics {
    /// A runaway config (e.g. one job aliased thousands of times) could yield a
    /// huge list; past this many problems the rest are dropped.
    static let maxErrors = 200

    private(set) var errors: [ConfigError] = []

    /// How many problems have been recorded so far (including dropped ones);
    /// compare before and after compiling a part to learn whether it was clean.
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    /// A key or value that is wrong by the schema.
    func invalid(_ path: NodePath, _ message: String) {
        record(ConfigError(.invalid, path: path.description, message))
    }

    /// Valid CircleCI that this server cannot run yet.
    func unsupported(_ path: NodePath, feature: String) {
        record(ConfigError(.unsupported, path: path.description, "\(feature) is not supported yet"))
    }

    /// The document is not YAML, or not a mapping at the top.
    func syntax(_ message: String) {
        record(ConfigError(.syntax, path: "", message))
    }

    private func record(_ error: ConfigError) {
        count += 1
        guard errors.count < Self.maxErrors, !errors.contains(error) else { return }
        errors.append(error)
    }
}
