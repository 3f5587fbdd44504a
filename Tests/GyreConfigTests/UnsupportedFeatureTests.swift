import GyreConfig
import GyreModel
import Testing

/// The little valid CircleCI that this server does not run: reported as
/// `.unsupported` with the feature named, never ignored; and features with
/// a narrower meaning here (job-level branches, macOS/Windows executors).
@Suite("Valid CircleCI that is not supported yet")
struct UnsupportedFeatureTests {
    @Test func jobLevelBranchFilterAppliesWithoutWorkflows() throws {
        let job = """
            version: 2
            jobs:
              build:
                docker: [{image: alpine}]
                branches: {only: [main]}
                steps: [checkout]
            """
        let plan = try #require(compilePlan(job))
        let filters = plan.workflows.first?.jobs.first?.filters
        #expect(filters.allows(branch: "main", tag: nil))
        #expect(!filters.allows(branch: "dev", tag: nil))

        let errors = compileErrors(job + "\nworkflows:\n  version: 2\n  main:\n    jobs: [build]\n")
        #expect(errors.count == 1, "\(errors.summary)")
        #expect(errors.first?.path == "jobs.build.branches")
        #expect(errors.first?.message.contains("use filters") == true)
    }

    @Test func requiringSuccessExplicitlyIsAPlainRequirement() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            jobs:
              a: {docker: [{image: alpine}], steps: [checkout]}
              b: {docker: [{image: alpine}], steps: [checkout]}
            workflows:
              main:
                jobs:
                  - a
                  - b:
                      requires: [{a: success}]
            """))
        #expect(plan.workflows.first?.jobs.last?.requires == ["a"])
    }

    @Test func macOSAndWindowsJobsCompileToTheirResourceClass() throws {
        let cases = [("macos: {xcode: 15.4.0}", "", "macos.m4pro.medium"),
                     ("macos: {xcode: 15.4.0}", "resource_class: macos.m1.medium.gen1", "macos.m1.medium.gen1"),
                     ("windows: {name: win/default}", "", "windows.medium"),
                     ("windows: {name: win/default}", "resource_class: windows.large", "windows.large")]
        for (kind, line, resourceClass) in cases {
            let job = try #require(singleJob(compilePlan("""
                version: 2.1
                jobs:
                  build:
                    \(kind)
                    \(line)
                    steps: [checkout]
                """)))
            #expect(job.executor == .machine(resourceClass: resourceClass))
            #expect(job.resourceClass == resourceClass)
        }
        // A class of another system is still an error.
        let errors = compileErrors("version: 2.1\njobs:\n  b: {macos: {xcode: 15.4.0}, resource_class: large, steps: [checkout]}\n")
        #expect(errors.first?.path == "jobs.b.resource_class", "\(errors.summary)")
    }
}
