import GyreConfig
import GyreModel
import Testing

/// `machine: {shell}` (and `macos: {shell}`), which the 2.1 schema allows, is the job's
/// default shell; the job's own `shell` wins, as a job's keys override its executor's.
@Suite("The shell of machine and macOS executors")
struct MachineShellTests {
    @Test func machineShellIsTheJobsDefaultShellAndTheJobsShellWins() throws {
        let plan = try #require(compilePlan("""
            version: 2.1
            executors:
              win:
                machine: {image: windows-server-2022-gui:current, shell: powershell.exe -ExecutionPolicy Bypass}
                resource_class: windows.medium
            jobs:
              linux:
                machine: {image: ubuntu-2204:current, shell: /bin/bash -eo pipefail -x}
                steps: [checkout]
              both:
                machine: {image: ubuntu-2204:current, shell: /bin/sh}
                shell: /bin/zsh
                steps: [checkout]
              from-executor:
                executor: win
                steps: [checkout]
              overriding-executor:
                executor: win
                shell: bash.exe
                steps: [checkout]
              mac:
                macos: {xcode: 15.4.0, shell: /bin/zsh -l}
                steps: [checkout]
            workflows:
              main:
                jobs: [linux, both, from-executor, overriding-executor, mac]
            """))
        #expect(jobNamed(plan, "linux")?.shell == "/bin/bash -eo pipefail -x")
        // CircleCI: the keys of a job override those of its executor.
        #expect(jobNamed(plan, "both")?.shell == "/bin/zsh")
        #expect(jobNamed(plan, "from-executor")?.shell == "powershell.exe -ExecutionPolicy Bypass")
        #expect(jobNamed(plan, "overriding-executor")?.shell == "bash.exe")
        #expect(jobNamed(plan, "mac")?.shell == "/bin/zsh -l")
    }

    @Test func aMachineShellThatIsNotAStringIsAnError() {
        for shell in ["[bash]", "''", "{a: b}"] {
            let yaml = "version: 2.1\njobs:\n  build: {machine: {image: ubuntu-2204:current, shell: \(shell)}, steps: [checkout]}\n"
            for errors in [compileErrors(yaml), validationErrors(yaml)] {
                #expect(errors.contains { $0.path == "jobs.build.machine.shell" }, "\(shell): \(errors.summary)")
            }
        }
        let unknown = validationErrors("version: 2.1\njobs:\n  build: {machine: {image: u, shel: x}, steps: [checkout]}\n")
        #expect(unknown.first?.message == "unknown machine key \"shel\"", "\(unknown.summary)")
    }
}
