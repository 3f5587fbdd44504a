/// Valid CircleCI that this server does not run, by where it can appear.
///
/// Reported as `.unsupported` ("<feature> is not supported yet") instead of
/// being ignored or called unknown:
/// - `requires` entries asking for a job to end `failed` or `canceled`, in
///   ``WorkflowJobReader`` (a plan's requirements are all "succeeded").
enum UnsupportedFeatures {
    static let topLevel: [String: String] = [:]
}
