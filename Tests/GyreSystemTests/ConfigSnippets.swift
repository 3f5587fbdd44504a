import Foundation

/// Job bodies the end-to-end configs share (indented to sit under a job name).

/// A job on the self-hosted runner (`gyre/host`) running one command.
func hostJob(_ command: String, parallelism: Int = 1) -> String {
    """
        machine: true
        resource_class: gyre/host
        parallelism: \(parallelism)
        steps:
          - run: \(command)
    """
}

/// A Docker job on the job image with the given (already indented) steps.
func dockerJob(_ steps: String, parallelism: Int = 1) -> String {
    """
        docker:
          - image: \((try? fixture.jobImage) ?? "gyre/base:bookworm")
        parallelism: \(parallelism)
        steps:
    \(steps)
    """
}

/// build → hold (approval) → deploy, the deploy job naming `contexts` (none: no `context` key).
func approvalWorkflow(contexts: [String] = []) -> String {
    let context = contexts.isEmpty ? "" : "\n          context: [\(contexts.joined(separator: ", "))]"
    return """
        version: 2.1
        jobs:
          build:
        \(hostJob("echo built"))
          deploy:
        \(hostJob("echo deployed"))
        workflows:
          main:
            jobs:
              - build
              - hold:
                  type: approval
                  requires: [build]
              - deploy:
                  requires: [hold]\(context)
        """
}
