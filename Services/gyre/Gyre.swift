import ArgumentParser
import Foundation
import GyreLocal

@main
struct Gyre: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gyre",
        abstract: "Gyre: a self-hosted CI server for CircleCI-style pipelines.",
        subcommands: [Local.self, Follow.self, Run.self, Bench.self, Config.self, Orb.self, Admin.self])
}

/// Options naming a running installation's API.
struct APIOptions: ParsableArguments {
    @Option(help: "The frontend's base URL.")
    var api: String = ProcessInfo.processInfo.environment["GYRE_API"] ?? "http://127.0.0.1:80"

    @Option(help: "API token (default: $GYRE_TOKEN; create one with `gyre admin create-token`).")
    var token: String? = ProcessInfo.processInfo.environment["GYRE_TOKEN"]

    var client: APIClient {
        get throws {
            guard let url = URL(string: api) else { throw ValidationError("--api is not a URL: \(api)") }
            return APIClient(base: url, token: token)
        }
    }
}

struct Follow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Register (follow) a project, optionally with an explicit git URL.")

    @Argument(help: "Project slug, e.g. gh/acme/app.")
    var slug: String

    @Option(name: .customLong("vcs-url"), help: "The project's git URL (admin); default: the operator's VCS base + org/repo.git.")
    var vcsURL: String?

    @OptionGroup var api: APIOptions

    func run() async throws {
        let project = try await api.client.follow(slug, vcsURL: vcsURL)
        print("following \(project.slug) at \(project.vcs_url)")
    }
}

struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Trigger a pipeline, wait for it, and print every job's steps, output and status.")

    @Argument(help: "Project slug, e.g. gh/acme/app.")
    var slug: String

    @Option(help: "Branch to build.")
    var branch: String = "main"

    @Option(help: "Seconds to wait for the pipeline.")
    var timeout: Int = 600

    @OptionGroup var api: APIOptions

    func run() async throws {
        let client = try api.client
        let created = try await client.trigger(slug, branch: branch)
        print("pipeline \(created.number) (\(created.id.uuidString.lowercased())) triggered on \(branch)")
        let outcome = try await client.wait(for: created.id, timeout: .seconds(timeout), poll: .milliseconds(200))
        for error in outcome.pipeline.errors {
            print("config error: \(error.message)")
        }
        if outcome.pipeline.state == "created" && outcome.workflows.isEmpty {
            print("no workflow runs for this pipeline (when/unless, filters or schedule triggers left none)")
        }
        for (workflow, jobs) in outcome.workflows {
            print("\nworkflow \(workflow.name): \(workflow.status)")
            for job in jobs {
                print("\n== job \(job.name) #\(job.job_number ?? 0): \(job.status)")
                guard let number = job.job_number, job.status != "not_run" else { continue }
                let steps = try await client.steps(slug, job: number)
                let parallel = steps.contains { ($0.node_index ?? 0) > 0 }
                for step in steps {
                    let node = parallel ? " [node \(step.node_index ?? 0)]" : ""
                    print("-- step \(step.index)\(node) \(step.name): \(step.status)\(step.exit_code.map { " (exit \($0))" } ?? "")")
                    if !step.output.isEmpty { print(step.output, terminator: step.output.hasSuffix("\n") ? "" : "\n") }
                }
            }
        }
        print("\npipeline \(created.number): \(outcome.status)")
        if outcome.status != "success" { throw ExitCode(1) }
    }
}
