/// Valid CircleCI that this server does not run, by where it can appear.
///
/// Keys listed here are reported as `.unsupported` ("<feature> is not
/// supported yet") instead of being ignored or called unknown.
enum UnsupportedFeatures {
    /// Keys of a job under `jobs`. (2.0's job-level `branches` filter; use workflow filters.)
    static let jobKeys: [String: String] = [
        "branches": "branches (a job-level branch filter; use filters in a workflow)",
    ]
}
