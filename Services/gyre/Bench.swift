import ArgumentParser
import Foundation
import GyreLocal

/// Triggers trivial pipelines against a running local installation and
/// prints latency, throughput, CPU and memory figures.
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure trigger→first step latency, jobs/s, CPU per job and memory (a benchmark, not a test).")

    @OptionGroup var options: LocalOptions

    @Option(help: "Pipelines triggered one after another for the latency figures.")
    var latencyPipelines: Int = 50

    @Option(help: "Pipelines triggered at once for the throughput figures.")
    var throughputPipelines: Int = 20

    @Option(help: "Independent trivial jobs in each throughput pipeline.")
    var jobsPerPipeline: Int = 10

    @Option(help: "Executor of the trivial job: host (self-hosted runner gyre/host) or docker (gyre/base:bookworm).")
    var executor: String = "host"

    @Option(help: "Fan-out/fan-in workflows (one job, then --fan-width jobs, then one job) run one at a time.")
    var fanPipelines: Int = 10

    @Option(help: "Jobs in the middle of the fan-out/fan-in workflow (total jobs = width + 2).")
    var fanWidth: Int = 18

    @Option(help: "Megabytes of step output per ingest run (1 MB and 80-byte lines, with 100 secrets and with none); 0 skips it.")
    var ingestMB: Int = 100

    @Option(help: "Pipelines put into one project before every web UI page is timed over HTTP; 0 (the default) skips it.")
    var pagePipelines: Int = 0

    @Option(help: "Timed requests per page for the page-load figures.")
    var pageSamples: Int = 30

    func run() async throws {
        let system = try options.system()
        let client = APIClient(base: system.apiURL, token: try system.adminToken())
        let repos = URL(fileURLWithPath: options.runDir).standardizedFileURL.path + "/bench-repos"
        let idle = system.memory()

        if latencyPipelines > 0 { try await latency(client, repos: repos) }
        if fanPipelines > 0 { try await fanOutFanIn(client, repos: repos) }
        if throughputPipelines > 0 { try await throughput(client, system: system, repos: repos) }

        if latencyPipelines > 0 || fanPipelines > 0 || throughputPipelines > 0 { Self.printMemory(idle: idle, loaded: system.memory()) }
        if ingestMB > 0 { try await ingest(client, system: system, repos: repos) }
        if pagePipelines > 0 { try await pages(client, token: try system.adminToken(), repos: repos) }
    }

    static func printMemory(idle: [String: LocalSystem.MemoryUse], loaded: [String: LocalSystem.MemoryUse]) {
        print("\nmemory (MB): resident (RSS) / proportional (PSS: shared pages counted once) / own heap (anonymous)")
        print("  service              idle before            after the runs")
        for entry in ServiceCatalog.all {
            print("  \(entry.name.padding(toLength: 18, withPad: " ", startingAt: 0)) \(Self.mb(idle[entry.name]))   \(Self.mb(loaded[entry.name]))")
        }
        func total(_ all: [String: LocalSystem.MemoryUse]) -> LocalSystem.MemoryUse {
            all.values.reduce(LocalSystem.MemoryUse(resident: 0, proportional: 0, anonymous: 0)) {
                .init(resident: $0.resident + $1.resident, proportional: $0.proportional + $1.proportional,
                      anonymous: $0.anonymous + $1.anonymous)
            }
        }
        print("  \("all services".padding(toLength: 18, withPad: " ", startingAt: 0)) \(Self.mb(total(idle)))   \(Self.mb(total(loaded)))")
    }

    /// Pipelines of one trivial job, one at a time: trigger → picked up, first step, finished.
    func latency(_ client: APIClient, repos: String) async throws {
        let latencySlug = "gh/bench/latency-\(executor)"
        try await prepare(client, slug: latencySlug, repos: repos, jobs: 1)
        print("latency: \(latencyPipelines) pipelines of one trivial \(executor) job, one at a time")
        var toFirstStep: [Double] = []
        var toJobStart: [Double] = []
        var toFinish: [Double] = []
        for _ in 0..<latencyPipelines {
            let sent = Date()
            let created = try await client.trigger(latencySlug)
            let outcome = try await client.wait(for: created.id, timeout: .seconds(120), poll: .milliseconds(20))
            guard outcome.status == "success", let job = outcome.workflows.first?.jobs.first, let number = job.job_number else {
                throw ValidationError("a benchmark pipeline did not succeed: \(outcome.status) \(outcome.pipeline.errors)")
            }
            let steps = try await client.steps(latencySlug, job: number)
            if let setup = steps.first(where: { $0.type == "setup" })?.started_at { toJobStart.append(setup.timeIntervalSince(sent)) }
            if let first = steps.first(where: { $0.type != "setup" })?.started_at { toFirstStep.append(first.timeIntervalSince(sent)) }
            if let stopped = job.stopped_at { toFinish.append(stopped.timeIntervalSince(sent)) }
        }
        print(Self.row("trigger → job picked up (setup step)", toJobStart))
        print(Self.row("trigger → first step running", toFirstStep))
        print(Self.row("trigger → job finished", toFinish))
    }

    /// Many pipelines at once: jobs per second and CPU per job.
    func throughput(_ client: APIClient, system: LocalSystem, repos: String) async throws {
        let throughputSlug = "gh/bench/throughput-\(executor)"
        try await prepare(client, slug: throughputSlug, repos: repos, jobs: jobsPerPipeline)
        let jobs = throughputPipelines * jobsPerPipeline
        print("\nthroughput: \(throughputPipelines) pipelines × \(jobsPerPipeline) trivial jobs = \(jobs) jobs, triggered at once")
        let cpuBefore = system.cpuSeconds()
        let start = Date()
        let ids = try await withThrowingTaskGroup(of: UUID.self) { group in
            for _ in 0..<throughputPipelines {
                group.addTask { try await client.trigger(throughputSlug).id }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        var lastStop = start
        var succeeded = 0
        for id in ids {
            let outcome = try await client.wait(for: id, timeout: .seconds(600), poll: .milliseconds(100))
            for (_, jobs) in outcome.workflows {
                for job in jobs {
                    if job.status == "success" { succeeded += 1 }
                    if let stopped = job.stopped_at, stopped > lastStop { lastStop = stopped }
                }
            }
        }
        let elapsed = lastStop.timeIntervalSince(start)
        let cpuAfter = system.cpuSeconds()
        let cpu = cpuAfter.reduce(0.0) { $0 + $1.value - (cpuBefore[$1.key] ?? 0) }
        print("  jobs succeeded: \(succeeded)/\(jobs) in \(String(format: "%.2f", elapsed)) s")
        print("  jobs per second: \(String(format: "%.1f", Double(succeeded) / max(elapsed, 0.001)))")
        print("  CPU of all services per job: \(String(format: "%.2f", cpu * 1000 / Double(max(jobs, 1)))) ms")
        for (name, seconds) in cpuAfter.sorted(by: { $0.key < $1.key }) {
            let used = seconds - (cpuBefore[name] ?? 0)
            if used > 0.001 { print("    \(name): \(String(format: "%.2f", used * 1000 / Double(max(jobs, 1)))) ms/job") }
        }
    }

    /// A `start` job, `fanWidth` jobs that require it, and an `end` job that
    /// requires them all. The scheduling overhead of a job is the time from the
    /// moment it became runnable (its last requirement stopped; the trigger
    /// request for `start`) to the moment an agent started it.
    func fanOutFanIn(_ client: APIClient, repos: String) async throws {
        let slug = "gh/bench/fan-\(executor)"
        let name = "fan-\(executor)"
        let body = executor == "docker"
            ? "    docker:\n      - image: gyre/base:bookworm\n    steps:\n      - run: echo ok\n"
            : "    machine: true\n    resource_class: gyre/host\n    steps:\n      - run: echo ok\n"
        var config = "version: 2.1\njobs:\n  start:\n\(body)  end:\n\(body)"
        for index in 0..<fanWidth { config += "  fan-\(index):\n" + body }
        config += "workflows:\n  fan:\n    jobs:\n      - start\n"
        for index in 0..<fanWidth { config += "      - fan-\(index):\n          requires: [start]\n" }
        config += "      - end:\n          requires: [\((0..<fanWidth).map { "fan-\($0)" }.joined(separator: ", "))]\n"
        try SampleRepository.create(at: "\(repos)/\(name)", files: [".circleci/config.yml": config])
        _ = try await client.follow(slug, vcsURL: "file://\(repos)/\(name)")

        print("\nfan-out/fan-in: \(fanPipelines) workflows of \(fanWidth + 2) trivial \(executor) jobs (1 → \(fanWidth) → 1), one at a time")
        var overheads: [Double] = []
        var totals: [Double] = []
        var perJob: [Double] = []
        for _ in 0..<fanPipelines {
            let sent = Date()
            let created = try await client.trigger(slug)
            let outcome = try await client.wait(for: created.id, timeout: .seconds(300), poll: .milliseconds(20))
            guard outcome.status == "success", let jobs = outcome.workflows.first?.jobs else {
                throw ValidationError("a fan-out/fan-in pipeline did not succeed: \(outcome.status)")
            }
            let byId = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0) })
            var waited = 0.0
            var lastStop = sent
            for job in jobs {
                guard let started = job.started_at, let stopped = job.stopped_at else { continue }
                let runnable = job.dependencies.compactMap { byId[$0]?.stopped_at }.max() ?? sent
                let overhead = started.timeIntervalSince(runnable)
                overheads.append(overhead)
                waited += overhead
                lastStop = max(lastStop, stopped)
            }
            totals.append(lastStop.timeIntervalSince(sent))
            perJob.append(waited / Double(max(jobs.count, 1)))
        }
        print(Self.row("job runnable → job started (each job)", overheads))
        print(Self.row("mean scheduling overhead per job (each workflow)", perJob))
        print(Self.row("trigger → last job finished (workflow)", totals))
    }

    /// A repository whose config has `jobs` independent trivial jobs, followed by the API.
    func prepare(_ client: APIClient, slug: String, repos: String, jobs: Int) async throws {
        let name = slug.split(separator: "/").last.map(String.init) ?? "bench"
        let repo = "\(repos)/\(name)"
        let job: String
        if executor == "docker" {
            job = "    docker:\n      - image: gyre/base:bookworm\n    steps:\n      - run: echo ok\n"
        } else {
            job = "    machine: true\n    resource_class: gyre/host\n    steps:\n      - run: echo ok\n"
        }
        var config = "version: 2.1\njobs:\n"
        for index in 0..<jobs { config += "  trivial-\(index):\n" + job }
        config += "workflows:\n  bench:\n    jobs:\n"
        for index in 0..<jobs { config += "      - trivial-\(index)\n" }
        try SampleRepository.create(at: repo, files: [".circleci/config.yml": config])
        _ = try await client.follow(slug, vcsURL: "file://\(repo)")
    }

    static func row(_ label: String, _ seconds: [Double]) -> String {
        guard !seconds.isEmpty else { return "  \(label): no samples" }
        let sorted = seconds.sorted()
        func at(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))] * 1000 }
        return "  \(label): median \(String(format: "%.1f", at(0.5))) ms, p99 \(String(format: "%.1f", at(0.99))) ms, max \(String(format: "%.1f", at(1))) ms (n=\(sorted.count))"
    }

    static func mb(_ use: LocalSystem.MemoryUse?) -> String {
        guard let use else { return "        -           " }
        func f(_ bytes: Int) -> String { String(format: "%5.1f", Double(bytes) / 1_048_576) }
        return "\(f(use.resident)) /\(f(use.proportional)) /\(f(use.anonymous))"
    }
}
