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

    /// Steps produced by expanding commands in this compile; commands that
    /// invoke each other several times each could otherwise multiply a small
    /// file into billions of steps.
    static let maxExpandedSteps = 100_000
    private(set) var expandedSteps = 0

    /// Counts `n` more expanded steps; false once past the limit.
    func spendExpansion(_ n: Int) -> Bool {
        expandedSteps += n
        return expandedSteps <= Self.maxExpandedSteps
    }

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
