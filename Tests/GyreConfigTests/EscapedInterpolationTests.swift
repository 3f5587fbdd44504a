import GyreConfig
import GyreModel
import Testing

/// `\<<` is CircleCI's escape for a literal `<<` in 2.1 configs (e.g. a heredoc):
/// it opens no reference or section and comes out as `<<`.
@Suite("The backslash escape for a literal <<")
struct EscapedInterpolationTests {
    @Test func anEscapedHeredocComesOutUnescaped() throws {
        let plan = try #require(compilePlan(#"""
            version: 2.1
            commands:
              write:
                parameters:
                  file: {type: string}
                  text: {type: string, default: 'x \<< y'}
                steps:
                  - run: |
                      cat > << parameters.file >> \<< EOF
                      << parameters.text >>
                      EOF
            jobs:
              build:
                parameters:
                  flag: {type: boolean, default: true}
                docker: [{image: alpine}]
                environment: {ARROWS: 'a \<< b'}
                steps:
                  - run:
                      name: literal \<< parameters.flag >> and << parameters.flag >>
                      command: echo "\<<# parameters.flag >>kept<</ parameters.flag >>"
                  - write: {file: out.txt}
            workflows:
              main:
                jobs:
                  - build:
                      name: b \<< 1
            """#))
        let workflowJob = try #require(plan.workflows.first?.jobs.first)
        #expect(workflowJob.name == "b << 1")
        let job = try #require(workflowJob.job)
        #expect(job.environment == [EnvVar("ARROWS", "a << b")])
        guard case .run(let first)? = job.steps.first else {
            Issue.record("expected a run step: \(job.steps)")
            return
        }
        // The escaped reference is left as text, not interpolated; the unescaped one is.
        #expect(first.name == "literal << parameters.flag >> and true")
        // An escaped `<<#` opens no section.
        #expect(first.command == "echo \"<<# parameters.flag >>kept<</ parameters.flag >>\"")
        #expect(runStepCommands(job).last == "cat > out.txt << EOF\nx << y\nEOF\n")
    }

    @Test func version2ConfigsKeepTheBackslash() throws {
        let job = try #require(singleJob(compilePlan(#"""
            version: 2
            jobs:
              build:
                docker: [{image: alpine}]
                steps:
                  - run: cat > f \<< EOF
            """#)))
        #expect(runStepCommands(job) == [#"cat > f \<< EOF"#])
    }
}
