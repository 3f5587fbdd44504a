import Foundation
import GyreServiceKit
import GyreStore
import Logging
import NIOPosix
import ServiceLifecycle

/// Deletes expired caches (rows, then files) and uploads a crash left in
/// `tmp/`: once at start and then every `interval`. Replicas may all run it;
/// each row is deleted by one of them.
struct StorageReaper: Service {
    let store: StorageStore
    let files: BlobFiles
    let gate: StartupGate
    let logger: Logger
    var interval: Duration = .seconds(3600)

    func run() async throws {
        await gate.wait()
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await reapOnce()
                try? await Task.sleep(for: interval)
            }
        }
    }

    func reapOnce() async {
        let files = self.files
        var removed = 0
        do {
            while !Task.isCancelled {
                let expired = try await store.removeExpiredCaches()
                if !expired.isEmpty {
                    try await NIOThreadPool.singleton.runIfActive { for file in expired { files.remove(file) } }
                }
                removed += expired.count
                if expired.count < 500 { break }
            }
            try await NIOThreadPool.singleton.runIfActive { files.sweepTemporary() }
        } catch {
            logger.warning("storage clean-up failed; trying again later", metadata: ["error": "\(StoreError.reason(error))"])
        }
        if removed > 0 {
            logger.info("expired caches removed", metadata: ["count": "\(removed)", "retention_days": "\(store.cacheRetentionDays)"])
        }
    }
}
