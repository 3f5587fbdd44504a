import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Logging
import ServiceLifecycle

/// Writes one JSON file per completed period (`GYRE_AUDIT_FILE_SECONDS`,
/// default an hour) once the period and a grace for events still on their
/// way are over. Events that arrive for a period whose file is written
/// already go into the next file. Replicas take turns (`AuditStore.writePeriod`).
struct AuditFileWriter: Service {
    let store: AuditStore
    let files: AuditFiles
    let seconds: Int64
    let gate: StartupGate
    let logger: Logger

    var grace: Int64 { AuditPeriod.grace(for: seconds) }
    /// How often it looks: a quarter period, between 250 ms and 10 s.
    var interval: Duration { .milliseconds(min(10_000, max(250, seconds * 250))) }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !self.gate.isOpen {
                guard (try? await Task.sleep(for: .milliseconds(200))) != nil else { return }
            }
            while !Task.isCancelled {
                do {
                    try await self.writeDue()
                } catch {
                    self.logger.warning("audit log file not written; trying again",
                                        metadata: ["error": "\(StoreError.reason(error))"])
                }
                guard (try? await Task.sleep(for: self.interval)) != nil else { return }
            }
        }
    }

    /// Writes every period file that is due, oldest first.
    func writeDue() async throws {
        for _ in 0..<10_000 where !Task.isCancelled {
            guard let earliest = try await store.earliestUnfiled() else { return }
            let period = AuditPeriod.target(of: earliest, lastWrittenEnd: try await store.lastWrittenEnd(), seconds: seconds)
            guard period.isComplete(at: Date(), grace: grace) else { return }
            let path = period.relativePath
            switch try await store.writePeriod(period, path: path, sink: files.sink(for: path)) {
            case .written(let count):
                logger.info("audit log file written", metadata: ["file": "\(path)", "events": "\(count)"])
            case .skipped:
                return
            }
        }
    }
}
