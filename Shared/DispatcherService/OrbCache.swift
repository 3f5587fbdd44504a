import Foundation
import GyreConfig
import GyreStore

/// The imported orbs the dispatcher compiles with: Postgres's `orbs` table
/// (what `gyre orb import` stores), the files of GYRE_ORB_DIR, and the
/// shipped orbs. Only configs that mention orbs look: the table is reloaded
/// when its generation changes and the directory is read again, so an import
/// is seen by every replica at its next pipeline.
actor OrbCache {
    let store: OrbStore
    let directory: URL?
    private var generation: Int64 = -1
    private var imported: [OrbCatalog.Entry] = []

    init(store: OrbStore, directory: URL?) {
        self.store = store
        self.directory = directory
    }

    /// A compiler with the orbs current for this config.
    func compiler(for source: String) async throws -> ConfigCompiler {
        guard source.contains("orbs") else { return ConfigCompiler() }
        let current = try await store.generation()
        if current != generation {
            imported = try await store.all().compactMap { record -> OrbCatalog.Entry? in
                guard let version = OrbVersion(record.version), let source = record.source else { return nil }
                return OrbCatalog.Entry(name: record.name, version: version, source: source)
            }
            generation = current
        }
        let files = directory.map { OrbCatalog(directory: $0).entries } ?? []
        return ConfigCompiler(orbs: OrbCatalog(imported + files))
    }
}
