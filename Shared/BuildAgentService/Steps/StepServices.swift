import Foundation
import GyreServiceKit

/// What the built-in steps need from the agent's configuration.
struct StepServices: Sendable {
    /// The output-processor's internal storage API.
    var storage: StorageClient
    /// The contexts service (a job's secret environment).
    var contexts = StorageClient(baseURL: "http://127.0.0.1:3011", service: "contexts service", setting: "GYRE_CONTEXTS_URL")
    /// Where each step's transfer files go on the agent host.
    var scratchDirectory: String

    init(storage: StorageClient, scratchDirectory: String) {
        self.storage = storage
        self.scratchDirectory = scratchDirectory
    }

    /// `GYRE_STORAGE_URL`; transfers under `GYRE_AGENT_WORK_DIR/.steps`.
    init(environment: ServiceEnvironment) {
        let url = environment.string("GYRE_STORAGE_URL", default: "http://127.0.0.1:8585")
        if URL(string: url)?.host == nil {
            environment.problem("GYRE_STORAGE_URL: \"\(url)\" is not an http URL (e.g. http://127.0.0.1:8585)")
        }
        storage = StorageClient(baseURL: url)
        let contextsURL = environment.string("GYRE_CONTEXTS_URL", default: "http://127.0.0.1:3011")
        if URL(string: contextsURL)?.host == nil {
            environment.problem("GYRE_CONTEXTS_URL: \"\(contextsURL)\" is not an http URL (e.g. http://127.0.0.1:3011)")
        }
        contexts = StorageClient(baseURL: contextsURL, service: "contexts service", setting: "GYRE_CONTEXTS_URL")
        scratchDirectory = environment.string("GYRE_AGENT_WORK_DIR", default: "/var/lib/gyre/agent") + "/.steps"
    }

    /// Used when the runner is built without configuration.
    static let unconfigured = StepServices(storage: StorageClient(baseURL: "http://127.0.0.1:8585"),
                                           scratchDirectory: NSTemporaryDirectory() + "gyre-steps")
}
