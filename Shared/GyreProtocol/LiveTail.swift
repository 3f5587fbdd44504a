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

    /// Pub/sub channel announcing that a job's steps or status changed (committed).
    public static func statusChannel(namespace: String, job: UUID) -> String {
        channel(namespace: namespace, job: job) + ":status"
    }

    public static let expirySeconds = 3600

    /// Only a step's first bytes go to Redis: readers that share the storage directory read a running step's
    /// file (written and flushed before Redis), so Redis holds at most this much per step instead of whole logs.
    public static let maxBytes = 1 << 20

    /// The part of a chunk at `offset` that goes to Redis (empty beyond `maxBytes`).
    public static func part(of bytes: [UInt8], at offset: Int64) -> ArraySlice<UInt8> {
        guard offset < Int64(maxBytes) else { return [] }
        return bytes.prefix(maxBytes - Int(offset))
    }
}
