import Foundation

/// Redis keys for the live tail of running steps, shared by the
/// output-processor (writer) and the frontend (reader).
public enum LiveTail {
    /// The step's output so far, written with SETRANGE at each chunk's offset; expires an hour after the last write.
    public static func key(namespace: String, job: UUID, attempt: Int, step: Int) -> String {
        "\(namespace):live:\(job.uuidString.lowercased()):\(attempt):\(step)"
    }

    /// Pub/sub channel announcing new output of a job.
    public static func channel(namespace: String, job: UUID) -> String {
        "\(namespace):live:\(job.uuidString.lowercased())"
    }

    public static let expirySeconds = 3600
}
