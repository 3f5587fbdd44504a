import ArgumentParser
import Foundation
import GyreConfig
import GyreLocal

/// Orbs without the internet: pack a source tree, import versions into the
/// server (Postgres, seen by every dispatcher), list what is there.
struct Orb: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Pack, import and list the orbs this server can use (it never downloads orbs).",
        subcommands: [Pack.self, Import.self, List.self])

    struct Pack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Assemble an orb source tree (src/@orb.yml, commands/, executors/, jobs/, examples/, "
                + "<<include(file)>>) into one orb YAML on standard output, as `circleci orb pack` does.")

        @Argument(help: "The orb's src directory (the one holding @orb.yml), or the repository holding src/.")
        var directory: String

        func run() async throws {
            var root = URL(fileURLWithPath: directory)
            if !FileManager.default.fileExists(atPath: root.appendingPathComponent("@orb.yml").path),
               FileManager.default.fileExists(atPath: root.appendingPathComponent("src/@orb.yml").path) {
                root = root.appendingPathComponent("src")
            }
            let files = Self.read(root)
            do {
                FileHandle.standardOutput.write(Data(try OrbPack.pack(files: files).utf8))
            } catch {
                FileHandle.standardError.write(Data("gyre orb pack: \(error.description)\n".utf8))
                throw ExitCode(1)
            }
        }

        /// Every file under `root`, by relative path.
        static func read(_ root: URL) -> [String: String] {
            var files: [String: String] = [:]
            guard let walker = FileManager.default.enumerator(atPath: root.path) else { return files }
            while let relative = walker.nextObject() as? String {
                let url = root.appendingPathComponent(relative)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                      let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
                files[relative] = text
            }
            return files
        }
    }

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import an orb version (one YAML file; `gyre orb pack` makes one from a source tree).",
            discussion: "References then resolve like CircleCI's registry: ns/orb@1.2.3 exactly, @1.2 and @1 to the "
                + "highest imported match, @volatile to the highest. A version never changes once imported. "
                + "Needs an installation admin's token (--token or $GYRE_TOKEN).")

        @Argument(help: "The orb's YAML file (- for standard input).")
        var file: String

        @Option(help: "namespace/name@major.minor.patch, e.g. acme/deploy@1.2.0.")
        var name: String

        @OptionGroup var api: APIOptions

        func run() async throws {
            let parts = name.split(separator: "@", maxSplits: 1).map(String.init)
            guard parts.count == 2, OrbCatalog.isName(parts[0]) else {
                throw ValidationError("--name must be namespace/name@x.y.z, e.g. acme/deploy@1.2.0")
            }
            guard OrbVersion(parts[1]) != nil else {
                throw ValidationError("--name: \"\(parts[1])\" is not a full version; give major.minor.patch, e.g. 1.2.0")
            }
            let data = file == "-" ? FileHandle.standardInput.readDataToEndOfFile()
                : (FileManager.default.contents(atPath: file) ?? Data())
            guard !data.isEmpty else { throw ValidationError("\(file) is empty or cannot be read") }
            let source = String(decoding: data, as: UTF8.self)
            do {
                try ConfigCompiler().validateOrb(yaml: source)
            } catch {
                FileHandle.standardError.write(Data("gyre orb import: \(name) is not a valid orb:\n\(error)\n".utf8))
                throw ExitCode(1)
            }
            do {
                let imported = try await api.client.importOrb(name: parts[0], version: parts[1], source: source,
                                                              adminToken: nil)
                print(imported.message)
            } catch let failure as APIClient.APIFailure {
                FileHandle.standardError.write(Data("gyre orb import: \(failure)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the imported orb versions and the shipped orbs.")

        @OptionGroup var api: APIOptions

        func run() async throws {
            let items = try await api.client.orbs()
            let width = max(20, (items.map(\.name.count).max() ?? 0) + 2)
            for item in items {
                let name = item.name.padding(toLength: width, withPad: " ", startingAt: 0)
                let version = item.version.padding(toLength: 10, withPad: " ", startingAt: 0)
                let detail = item.source == "shipped" ? "shipped with the server (answers any version no import matches)"
                    : "imported \(item.imported_at.map { ISO8601DateFormatter().string(from: $0) } ?? "")  \(item.size ?? 0) bytes"
                print("\(name)\(version)\(detail)")
            }
        }
    }
}
