import Foundation
import GyreAMQP
import GyreDocker
import GyreGit
import GyreProtocol
import GyreServiceKit
import Logging

/// Runs jobs on a builder host: in Docker containers, and (for self-hosted
/// runner resource classes) as processes on the host itself.
public enum BuildAgent {
    public static func build(environment: ServiceEnvironment = ServiceEnvironment()) -> GyreApplication {
        let app = GyreApplication(name: "build-agent", defaultPort: 3002, environment: environment)
        let topology = app.topology
        let agentId = UUID()
        var logger = app.logger
        logger[metadataKey: "agent_id"] = "\(agentId)"

        let useDocker = environment.bool("GYRE_AGENT_DOCKER", default: true)
        let runnerClasses = environment.list("GYRE_AGENT_RUNNER_CLASSES", default: [])
        for resourceClass in runnerClasses where resourceClass.split(separator: "/").count != 2 {
            environment.problem("GYRE_AGENT_RUNNER_CLASSES: \"\(resourceClass)\" is not of the form namespace/name")
        }
        if !useDocker && runnerClasses.isEmpty {
            environment.problem("the agent offers nothing: set GYRE_AGENT_DOCKER=true or GYRE_AGENT_RUNNER_CLASSES")
        }
        var docker: Docker?
        if useDocker {
            do {
                let found = try Docker(executable: environment.optionalString("GYRE_DOCKER_BIN"))
                docker = found
                app.health.add("docker") { try await found.ping() }
            } catch {
                environment.problem("docker: \(error.message)")
            }
        }
        let git: Git?
        do {
            git = try Git()
        } catch {
            environment.problem("git: \(error.message)")
            git = nil
        }
        // Docker classes beyond the common sizes: arm.* on an arm64 host by default, others as the operator says.
        let dockerClasses = environment.list("GYRE_AGENT_DOCKER_CLASSES", default: DockerSettings.defaultExtraClasses)
        let capabilities = (useDocker ? ["docker"] + dockerClasses.map { "docker:\($0)" } : [])
            + runnerClasses.map { "machine:\($0)" }
        let state = AgentState(
            agentId: agentId,
            name: environment.string("GYRE_AGENT_NAME", default: ProcessInfo.processInfo.hostName),
            capabilities: capabilities,
            capacity: environment.int("GYRE_AGENT_CAPACITY", default: 2, range: 1...1000))
        let publisher = app.amqpPublisher()
        let events = EventPublisher(publisher: publisher, exchange: topology.exchange, logger: logger)
        let workDirectory = environment.string("GYRE_AGENT_WORK_DIR", default: "/var/lib/gyre/agent")
        var settings = DockerSettings()
        settings.builder = DockerSettings.builder(name: state.name, workDirectory: workDirectory)
        settings.circleciBinary = DockerSettings.circleciBinary(configured: environment.optionalString("GYRE_CIRCLECI_BIN"))
        settings.jobNetwork = environment.string("GYRE_AGENT_JOB_NETWORK", default: "none")
        if let problem = DockerSettings.problem(jobNetwork: settings.jobNetwork) { environment.problem(problem) }
        let runner = JobRunner(
            events: events, docker: docker, git: git, workDirectory: workDirectory, agentId: agentId, logger: logger,
            jobTimeout: .seconds(environment.int("GYRE_JOB_TIMEOUT_SECONDS", default: 18000, range: 1...604_800)),
            dockerSettings: settings, steps: StepServices(environment: environment),
            apiProxy: JobAPIProxy(apiURL: environment.string("GYRE_API_URL", default: "http://127.0.0.1:80")))
        let slots = JobSlots(capacity: state.capacity)
        let agentLogger = logger

        // Cancels share the queue with assignments and must pass while every job slot is busy.
        let consumer = app.amqpConsumer(queues: [], prefetch: UInt16(min(state.capacity + 16, 1000)))
        let queue = topology.agentQueue(agentId.uuidString.lowercased())
        consumer.addQueue(AMQPQueue(name: queue, durable: false, exclusive: true, autoDelete: true),
                          bindings: [AMQPBinding(queue: queue, exchange: topology.exchange,
                                                 routingKey: Topology.RoutingKey.agent(agentId.uuidString.lowercased()))])
        app.add(events)
        app.add(HeartbeatService(
            state: state, publisher: publisher, exchange: topology.exchange,
            interval: .milliseconds(environment.int("GYRE_AGENT_HEARTBEAT_MS", default: 2000, range: 100...60000)),
            logger: logger))
        app.add(QueueConsumerService(
            consumer: consumer,
            handlers: [queue: { delivery in
                if delivery.type == JobCancel.type {
                    let cancel = try MessageCodec.decode(JobCancel.self, from: delivery.body)
                    let found = runner.controls.cancel(JobAttempt(jobId: cancel.jobId, attempt: cancel.attempt))
                    let reason = cancel.reason ?? "canceled"
                    agentLogger.info(found ? "stopping an attempt (\(reason))" : "stop order for an attempt this agent does not run",
                                metadata: ["job_id": "\(cancel.jobId)", "attempt": "\(cancel.attempt)"])
                    return
                }
                let assignment = try MessageCodec.decode(JobAssignment.self, from: delivery.body)
                let attempt = JobAttempt(jobId: assignment.job.jobId, attempt: assignment.job.attempt)
                switch state.begin(attempt) {
                case .duplicate, .stale:
                    return
                case .start:
                    break
                case .supersedes(let older):
                    // The scheduler moved the job on (their leases expired):
                    // stop the older attempts and wait for them to end first.
                    agentLogger.warning("a newer attempt supersedes one this agent runs: stopping the old one",
                                        metadata: ["job_id": "\(attempt.jobId)", "attempt": "\(attempt.attempt)"])
                    for old in older { runner.controls.cancel(old) }
                    while older.contains(where: state.isRunning) { try? await Task.sleep(for: .milliseconds(50)) }
                }
                await slots.acquire()
                await runner.run(assignment.job)
                await slots.release()
                state.finish(attempt)
            }],
            concurrency: state.capacity + 16, gate: nil, logger: logger))
        app.add(Reaper(docker: docker, builder: settings.builder, jobsDirectory: runner.jobsDirectory, state: state,
                       interval: .seconds(environment.int("GYRE_AGENT_REAP_SECONDS", default: 60, range: 1...86400)),
                       logger: logger))
        return app
    }
}
