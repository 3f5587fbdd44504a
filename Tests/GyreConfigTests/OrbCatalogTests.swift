import Foundation
import GyreConfig
import GyreModel
import Testing

/// Imported orbs resolve like CircleCI's registry; the shipped orbs answer the rest.
@Suite struct OrbCatalogTests {
    static func orb(_ text: String) -> String {
        "version: 2.1\ncommands:\n  hello:\n    steps:\n      - run: echo \(text)\n"
    }

    let catalog = OrbCatalog(["1.0.0", "1.2.0", "1.10.1", "1.2.7", "2.0.0", "0.9.9"].map {
        OrbCatalog.Entry(name: "acme/greet", version: OrbVersion($0)!, source: OrbCatalogTests.orb($0))
    })

    func version(_ reference: String) -> String? {
        if case .found(let version, _) = catalog.resolve(reference) { return version }
        return nil
    }

    @Test func versionsResolveToTheHighestMatchingImport() {
        #expect(version("acme/greet@1.2.0") == "1.2.0")
        #expect(version("acme/greet@1.2") == "1.2.7")
        #expect(version("acme/greet@1") == "1.10.1")   // numeric order, not text order
        #expect(version("acme/greet@2") == "2.0.0")
        #expect(version("acme/greet@0") == "0.9.9")
        #expect(version("acme/greet@volatile") == "2.0.0")
        #expect(version("acme/greet@1.3") == nil)
        #expect(version("acme/greet@3.0.0") == nil)
    }

    @Test func theResolvedSourceIsThatVersions() {
        guard case .found(_, let source) = catalog.resolve("acme/greet@1.2") else {
            Issue.record("not found")
            return
        }
        #expect(source.contains("echo 1.2.7"))
    }

    @Test func aMissingOrbNamesTheCommandThatImportsIt() {
        guard case .missing(let message) = catalog.resolve("acme/greet@1.3") else {
            Issue.record("expected missing")
            return
        }
        #expect(message.contains("gyre orb import FILE --name acme/greet@1.3.0"), "\(message)")
        #expect(message.contains("imported versions of acme/greet: 2.0.0, 1.10.1"), "\(message)")
        guard case .missing(let other) = catalog.resolve("acme/other@volatile") else {
            Issue.record("expected missing")
            return
        }
        #expect(other.contains("no version of acme/other is imported"), "\(other)")
    }

    @Test func malformedReferencesAreRefused() {
        for reference in ["acme/greet", "greet@1.0.0", "../x/y@1", "acme/greet@one", "acme/greet@1.2.3.4", "acme/greet@"] {
            guard case .malformed = catalog.resolve(reference) else {
                Issue.record("\(reference) should be malformed")
                continue
            }
        }
        guard case .missing(let dev) = catalog.resolve("acme/greet@dev:alpha") else {
            Issue.record("dev: should be refused")
            return
        }
        #expect(dev.contains("development versions"))
    }

    @Test func shippedOrbsAnswerAnyVersionUnlessAnImportMatches() {
        let shipped = OrbCatalog([OrbCatalog.Entry(name: "circleci/continuation", version: OrbVersion(9, 0, 0),
                                                   source: Self.orb("mine"))])
        guard case .found(_, let source) = shipped.resolve("circleci/continuation@0.3.1") else {
            Issue.record("the shipped continuation orb should answer 0.3.1")
            return
        }
        #expect(source.contains("circleci-agent continue"))
        guard case .found(let version, let imported) = shipped.resolve("circleci/continuation@9") else {
            Issue.record("the import should answer @9")
            return
        }
        #expect(version == "9.0.0" && imported.contains("echo mine"))
        guard case .found = shipped.resolve("circleci/path-filtering@1.3.0") else {
            Issue.record("path-filtering is shipped")
            return
        }
    }

    @Test func versionsParseOnlyAsThreeNumbers() {
        #expect(OrbVersion("1.2.3") == OrbVersion(1, 2, 3))
        #expect(OrbVersion("1.2") == nil)
        #expect(OrbVersion("1.2.x") == nil)
        #expect(OrbVersion("-1.2.3") == nil)
        #expect(OrbVersion(1, 10, 0) > OrbVersion(1, 9, 9))
    }

    @Test func aDirectoryOfOrbsIsACatalog() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("orbs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("acme"), withIntermediateDirectories: true)
        for version in ["1.0.0", "1.1.0"] {
            try Self.orb(version).write(to: directory.appendingPathComponent("acme/tools@\(version).yml"),
                                        atomically: true, encoding: .utf8)
        }
        let plan = try ConfigCompiler(orbDirectory: directory).compile(yaml: """
            version: 2.1
            orbs:
              tools: acme/tools@1
            jobs:
              build: {docker: [{image: a}], steps: [tools/hello]}
            """)
        #expect(commands(singleJob(plan)) == ["echo 1.1.0"])
    }
}

/// `gyre orb pack`: a src/ tree into one orb.
@Suite struct OrbPackTests {
    @Test func sectionsAndIncludesAreAssembled() throws {
        let packed = try OrbPack.pack(files: [
            "@orb.yml": "version: 2.1\ndescription: Greets.\n",
            "commands/hello.yml": "parameters:\n  to: {type: string, default: world}\nsteps:\n  - run:\n      command: <<include(scripts/hello.sh)>>\n",
            "jobs/greet.yml": "docker: [{image: a}]\nsteps: [hello]\n",
            "executors/default.yml": "docker: [{image: a}]\n",
            "examples/usage.yml": "description: Use it.\nusage: {version: 2.1}\n",
            "scripts/hello.sh": "#!/bin/bash\necho \"hello $1\"\n",
            "README.md": "ignored",
        ])
        #expect(packed.contains("description: Greets."))
        #expect(packed.contains("echo \"hello $1\""), "\(packed)")
        #expect(!packed.contains("<<include"))
        // The packed orb is a valid orb whose job uses its command.
        try ConfigCompiler().validateOrb(yaml: packed)
        let plan = try ConfigCompiler(orbs: OrbCatalog([OrbCatalog.Entry(name: "acme/greet", version: OrbVersion(1, 0, 0),
                                                                         source: packed)]))
            .compile(yaml: "version: 2.1\norbs:\n  greet: acme/greet@1.0\nworkflows:\n  w:\n    jobs: [greet/greet]\n")
        #expect(commands(singleJob(plan)).first?.contains("echo \"hello $1\"") == true)
    }

    @Test func problemsAreNamed() {
        #expect(throws: OrbPack.Failure.self) { try OrbPack.pack(files: ["commands/a.yml": "steps: []"]) }
        do {
            _ = try OrbPack.pack(files: ["@orb.yml": "version: 2.1\n", "commands/a.yml": "steps:\n  - run: <<include(nope.sh)>>\n"])
            Issue.record("a missing include should fail")
        } catch {
            #expect(error.description.contains("nope.sh"))
        }
        do {
            _ = try OrbPack.pack(files: ["@orb.yml": "version: 2.1\ncommands: {}\n", "commands/a.yml": "steps: []\n"])
            Issue.record("a section in both places should fail")
        } catch {
            #expect(error.description.contains("commands"))
        }
    }

    @Test func invalidOrbsAreRefusedBeforeImport() {
        #expect(throws: ConfigErrors.self) { try ConfigCompiler().validateOrb(yaml: "- a list") }
        do {
            try ConfigCompiler().validateOrb(yaml: "version: 2.1\njobs:\n  x:\n    stepz: []\n")
            Issue.record("an orb job without steps should be refused")
        } catch {
            #expect(error.errors.contains { $0.message.contains("stepz") || $0.path.contains("stepz") }, "\(error)")
        }
    }
}

/// `setup: true` configurations and the configurations that continue them.
@Suite struct DynamicConfigCompileTests {
    @Test func aSetupConfigIsMarkedAndSeesInSetup() throws {
        let plan = try ConfigCompiler().compile(yaml: """
            version: 2.1
            setup: true
            jobs:
              generate:
                docker: [{image: a}]
                steps:
                  - run: echo "in setup << pipeline.in_setup >>"
            workflows:
              setup:
                when: << pipeline.in_setup >>
                jobs: [generate]
            """)
        #expect(plan.setup)
        #expect(commands(singleJob(plan)) == ["echo \"in setup true\""])
        #expect(try ConfigCompiler().compile(yaml: "version: 2.1\njobs:\n  build: {docker: [{image: a}], steps: [checkout]}\n").setup == false)
    }

    @Test func aContinuationCannotBeASetupConfig() {
        do {
            _ = try ConfigCompiler().compile(yaml: "version: 2.1\nsetup: true\njobs:\n  b: {docker: [{image: a}], steps: [checkout]}\n",
                                             parameters: [:], pipeline: nil, continuation: true)
            Issue.record("a setup continuation should be refused")
        } catch {
            #expect(error.errors.first?.path == "setup")
            #expect(error.errors.first?.message.contains("cannot itself be a setup configuration") == true)
        }
    }

    @Test func setupNeedsVersion21AndABoolean() {
        let old = compileErrors("version: 2\nsetup: true\njobs:\n  build: {docker: [{image: a}], steps: [checkout]}\n")
        #expect(old.contains { $0.path == "setup" && $0.message.contains("version: 2.1") }, "\(old.summary)")
        let wrong = compileErrors("version: 2.1\nsetup: maybe\njobs:\n  build: {docker: [{image: a}], steps: [checkout]}\n")
        #expect(wrong.contains { $0.path == "setup" }, "\(wrong.summary)")
    }

    @Test func theShippedPathFilteringOrbCompilesWithItsDocumentedParameters() throws {
        let plan = try ConfigCompiler().compile(yaml: """
            version: 2.1
            setup: true
            orbs:
              path-filtering: circleci/path-filtering@1.3.0
            workflows:
              setup:
                jobs:
                  - path-filtering/filter:
                      base-revision: main
                      config-path: .circleci/continue_config.yml
                      mapping: |
                        service-a/.* build-a true
                        service-b/.* build-b "yes"
            """)
        let job = try #require(singleJob(plan))
        #expect(plan.setup)
        guard case .docker(let images) = job.executor else {
            Issue.record("the shipped orb's job runs in Docker")
            return
        }
        #expect(images.first?.image == ShippedOrbs.image)
        #expect(job.steps.map(\.kind) == ["checkout", "run", "run"])
        let names = job.steps.compactMap { step -> String? in
            if case .run(let run) = step { return run.command } else { return nil }
        }
        #expect(names == ["circleci-agent path-filter", "circleci-agent continue"])
    }

    @Test func theShippedContinuationOrbTakesItsDocumentedParameters() throws {
        let plan = try ConfigCompiler().compile(yaml: """
            version: 2.1
            setup: true
            orbs:
              continuation: circleci/continuation@0.3.1
            jobs:
              generate:
                docker: [{image: a}]
                steps:
                  - checkout
                  - continuation/continue:
                      configuration_path: generated.yml
                      parameters: '{"deploy": true}'
                      circleci_domain: example.invalid
            workflows:
              setup:
                jobs: [generate, {continuation/continue: {configuration_path: .circleci/next.yml, checkout: false}}]
            """)
        #expect(plan.workflows.first?.jobs.count == 2)
    }
}

/// The `run` commands of a job, in order.
private func commands(_ job: JobPlan?) -> [String] {
    job?.steps.compactMap { if case .run(let step) = $0 { return step.command } else { return nil } } ?? []
}

/// The path-filtering orb's 4-column form: config files merged into one.
@Suite struct ConfigMergeTests {
    @Test func mappingsMergeKeyByKeyAndLaterFilesWin() throws {
        let merged = try ConfigMerge.merge([
            "version: 2.1\njobs:\n  a: {docker: [{image: x}], steps: [{run: echo a}]}\nworkflows:\n  a: {jobs: [a]}\n",
            "version: 2.1\njobs:\n  b: {docker: [{image: y}], steps: [{run: echo b}]}\nworkflows:\n  b: {jobs: [b]}\n",
            "version: 2.1\njobs:\n  a: {docker: [{image: z}]}\n",
        ])
        let plan = try ConfigCompiler().compile(yaml: merged)
        #expect(plan.workflows.map(\.name).sorted() == ["a", "b"])
        let a = try #require(plan.workflows.first { $0.name == "a" }?.jobs.first?.job)
        guard case .docker(let images) = a.executor else {
            Issue.record("a is a Docker job")
            return
        }
        #expect(images.first?.image == "z")       // the later file's value
        #expect(commands(a) == ["echo a"])         // kept from the earlier file
    }

    @Test func anythingButMappingsIsRefused() {
        #expect(throws: ConfigErrors.self) { try ConfigMerge.merge(["version: 2.1\n", "- a\n"]) }
        #expect(throws: ConfigErrors.self) { try ConfigMerge.merge(["version: [2.1\n"]) }
    }
}
