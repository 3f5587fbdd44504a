import GyreConfig
import GyreModel
import Testing

/// `machine: true` or a Windows image with `resource_class: windows.*`, the form of
/// CircleCI's Windows docs and the windows orb, compiles like a `windows:` job.
@Suite("Windows resource classes on machine executors")
struct WindowsMachineTests {
    @Test(arguments: [
        ("machine: true", "resource_class: windows.medium", "windows.medium"),
        ("machine: {image: 'windows-server-2022-gui:current'}", "resource_class: windows.large", "windows.large"),
        ("machine: {image: windows-server-2019-vs2019:stable, resource_class: windows.xlarge}", "", "windows.xlarge"),
        ("machine: {enabled: true}", "resource_class: windows.2xlarge", "windows.2xlarge"),
        // A Windows image without a class gets the Windows default, as a `windows:` job does.
        ("machine: {image: windows-default}", "", "windows.medium"),
    ])
    func windowsClassesOnMachineCompileLikeAWindowsJob(machine: String, line: String, resourceClass: String) throws {
        let yaml = """
            version: 2.1
            jobs:
              build:
                \(machine)
                \(line)
                steps: [checkout]
            """
        #expect(validationErrors(yaml).isEmpty, "\(validationErrors(yaml).summary)")
        let job = try #require(singleJob(compilePlan(yaml)))
        let windows = try #require(singleJob(compilePlan("""
            version: 2.1
            jobs:
              build: {windows: {name: win/default}, resource_class: \(resourceClass), steps: [checkout]}
            """)))
        #expect(job.executor == .machine(resourceClass: resourceClass))
        #expect(job.resourceClass == resourceClass)
        #expect(job.executor == windows.executor && job.resourceClass == windows.resourceClass)
        // It waits for an agent offering the Windows class, with the same reason as a windows job.
        #expect(job.requiredCapability == "machine:\(resourceClass)")
        let reason = WaitReason.explain(.init(status: .queued, capability: job.requiredCapability))
        #expect(reason?.code == "no_agent")
        #expect(reason?.message == "waiting for an agent with resource class \(resourceClass): none is registered")
    }

    @Test func theWindowsOrbsDefaultExecutorCompiles() throws {
        // CircleCI-Public/windows-orb's `default` executor, inlined.
        let plan = try #require(compilePlan("""
            version: 2.1
            executors:
              default:
                parameters:
                  version: {type: string, default: stable}
                  size: {type: enum, enum: [medium, large, xlarge, 2xlarge], default: medium}
                  shell: {type: string, default: powershell.exe -ExecutionPolicy Bypass}
                machine:
                  image: windows-server-2019-vs2019:<< parameters.version >>
                  resource_class: windows.<< parameters.size >>
                  shell: << parameters.shell >>
            jobs:
              test:
                executor: {name: default, size: large}
                steps: [checkout]
            workflows:
              main:
                jobs: [test]
            """))
        let job = try #require(singleJob(plan))
        #expect(job.executor == .machine(resourceClass: "windows.large"))
        #expect(job.shell == "powershell.exe -ExecutionPolicy Bypass")
    }

    @Test func aWindowsClassOnALinuxImageOrAMacOSClassOnMachineIsStillRefused() {
        for (machine, resourceClass) in [("{image: ubuntu-2204:current}", "windows.medium"),
                                         ("true", "macos.m1.medium.gen1")] {
            let yaml = """
                version: 2.1
                jobs:
                  build: {machine: \(machine), resource_class: \(resourceClass), steps: [checkout]}
                """
            for errors in [compileErrors(yaml), validationErrors(yaml)] {
                #expect(errors.count == 1 && errors.first?.path == "jobs.build.resource_class", "\(errors.summary)")
            }
        }
        let executor = validationErrors("""
            version: 2.1
            executors:
              e: {machine: {image: ubuntu-2204:current}, resource_class: windows.2xlarge}
            """)
        #expect(executor.first?.path == "executors.e.resource_class", "\(executor.summary)")
        #expect(executor.first?.message.contains("is not a Windows image") == true, "\(executor.summary)")
    }
}
