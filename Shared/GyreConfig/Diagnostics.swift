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

    /// Validation rather than processing: references to definitions that are
    /// not there (jobs, executors, commands, orb contents, pipeline
    /// parameters), registry orbs, a config with nothing to run, and what only
    /// this server cannot run (cloud resource classes, macOS/Windows) are not
    /// problems; structure and values still are. See ``ConfigCompiler/validate(yaml:)``.
    let validating: Bool

    init(validating: Bool = false) {
        self.validating = validating
    }

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

    /// A reference that processing must resolve (a job, executor, command,
    /// parameter or orb that is not there) or something only this server
    /// cannot run: an error when processing, nothing when validating.
    func unresolved(_ path: NodePath, _ message: String) {
        guard !validating else { return }
        invalid(path, message)
    }

    /// A job, command or executor that is not defined. Validating, it is left
    /// to processing when an orb may define it (`orb/name`) or when the file
    /// has no section of that kind (a fragment, such as the schema's samples);
    /// otherwise processing would refuse it too, so validation does.
    func undefined(_ name: String, at path: NodePath, _ message: String, sectionDefined: Bool) {
        if validating && (name.contains("/") || !sectionDefined) { return }
        invalid(path, message)
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
