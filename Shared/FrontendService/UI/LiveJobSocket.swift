import Foundation
import GyreModel
import GyreProtocol
import GyreRedis
import GyreServiceKit
import GyreStore
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The job page's live updates over a WebSocket: `GET /ws/jobs/{vcs}/{org}/{repo}/{number}?have=N.I.B,...`
/// (`have`: the bytes of step I on node N the page shows already).
///
/// The frontend subscribes (Redis pub/sub, one connection per process) to the channels of the job's runs,
/// where the output-processor announces new output and step or job changes; on each announcement, and at
/// least every few seconds, it sends the page what changed: the job's status, its steps, and each step's new
/// bytes. Any replica serves any page: nothing is kept between connections. A step that grew by more than
/// ``jumpBytes`` since the page last saw it is sent from its last ``tailBytes`` only (the end is where the
/// error is); the page can fetch the skipped part from the steps API.
struct LiveJobSocket: Sendable {
    let api: FrontendAPI
    let auth: AuthMiddleware
    let subscriber: RedisSubscriber

    static let prefix = "/ws/jobs/"
    /// At most this much of one step goes in one message.
    static let chunkBytes = 256 << 10
    static let jumpBytes: UInt64 = 1 << 20
    static let tailBytes: UInt64 = 256 << 10
    /// Without an announcement, the page is refreshed this often (cancellations and approvals are not announced).
    static let quietInterval = Duration.seconds(2)

    /// What one connection follows, once its caller may see the job.
    struct Target: Sendable {
        var slug: ProjectSlug
        var number: Int
        var have: [String: UInt64]
    }

    /// Decides an upgrade: only for a caller (session cookie from this site, or an API token) who may see the job.
    /// Anything else goes on to the HTTP route of the same path, which answers with the reason.
    func shouldUpgrade(_ head: HTTPRequest, channel: any Channel, logger: Logger) async -> ShouldUpgradeResult<
        WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
    > {
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        guard let target = Self.target(request),
              await Self.mayFollow(request, project: target.slug, auth: auth, api: api, channel: channel, logger: logger),
              (try? await api.store.job(project: target.slug, number: target.number)) != nil
        else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, _ in
            try await follow(target, inbound: inbound, outbound: outbound, logger: logger)
        }
    }

    /// Whether an upgrade request comes from a page of this site (or a non-browser client) and a caller — as the
    /// HTTP routes would see it: session cookie or API token, rate-limited — who may see the project's builds.
    static func mayFollow(_ request: Request, project: ProjectSlug, auth: AuthMiddleware, api: FrontendAPI,
                          channel: any Channel, logger: Logger) async -> Bool {
        guard sameOrigin(request.head) else { return false }
        var signed: GyreRequestContext?
        do {
            let context = GyreRequestContext(source: ApplicationRequestContextSource(channel: channel, logger: logger))
            _ = try await auth.handle(request, context: context) { _, context in
                signed = context
                return Response(status: .ok)
            }
            guard let signed else { return false }
            try await api.authorize(signed, .viewBuilds, project: project)
            return true
        } catch {
            return false
        }
    }

    /// A browser sends its page's origin: a page of another site may not open a socket with this site's cookie.
    static func sameOrigin(_ head: HTTPRequest) -> Bool {
        guard let text = head.headerFields[.origin] else { return true }
        guard let origin = URL(string: text), let host = origin.host, let authority = head.authority else { return false }
        return host + (origin.port.map { ":\($0)" } ?? "") == authority
    }

    /// The HTTP answer on a live socket's path when no upgrade was made: why not.
    static func refusal(_ request: Request, what: String) -> APIError {
        sameOrigin(request.head)
            ? APIError.badRequest("this is \(what): connect with `Upgrade: websocket` (the page does)")
            : APIError(.forbidden, "a WebSocket opened from a page of another site is refused")
    }

    /// The project, job number and what the page has, from the path and query.
    static func target(_ request: Request) -> Target? {
        guard request.uri.path.hasPrefix(prefix) else { return nil }
        let parts = request.uri.path.dropFirst(prefix.count).split(separator: "/").map(String.init)
        guard parts.count == 4, let slug = ProjectSlug(vcs: parts[0], org: parts[1], repo: parts[2]),
              let number = Int(parts[3]), number >= 0 else { return nil }
        var have: [String: UInt64] = [:]
        for item in (request.uri.queryParameters.get("have") ?? "").split(separator: ",") {
            let fields = item.split(separator: ".")
            guard fields.count == 3, let node = Int(fields[0]), let index = Int(fields[1]), let bytes = UInt64(fields[2])
            else { return nil }
            have["\(node):\(index)"] = bytes
        }
        return Target(slug: slug, number: number, have: have)
    }

    // MARK: following a job

    struct StepState: Encodable {
        var key: String
        var index: Int
        var node_index: Int
        var name: String
        var status: String
        var exit_code: Int?
        var duration: String
        var output_bytes: Int64
    }

    struct Chunk: Encodable {
        var key: String
        /// The byte offset of `text` in the step's log.
        var offset: UInt64
        /// The byte offset just after `text` (its bytes, whatever the characters).
        var end: UInt64
        var text: String
        /// Set when the page is sent the step's tail only: the bytes before `offset` it has not got.
        var skipped: Bool
    }

    struct Update: Encodable {
        var type = "update"
        var status: String
        var steps: [StepState]
        var chunks: [Chunk]
        var final: Bool
    }

    func follow(_ target: Target, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
                logger: Logger) async throws {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingDiscardingTaskGroup { group in
            Self.startWakes(&group, inbound: inbound, wake: wake)
            var have = target.have
            var attempts: [UUID: Int] = [:]
            var followed = Set<UUID>()
            var iterator = wakes.makeAsyncIterator()
            while true {
                guard let job = try await api.store.job(project: target.slug, number: target.number) else { break }
                let steps = try await api.store.nodeSteps(job: job)
                // Subscribe to every run (a parallel job's nodes are jobs of their own).
                for run in Set(steps.map(\.run.id)).union([job.id]) where !followed.contains(run) {
                    followed.insert(run)
                    for channel in [LiveTail.channel(namespace: api.namespace, job: run),
                                    LiveTail.statusChannel(namespace: api.namespace, job: run)] {
                        let stream = subscriber.stream(channel: channel)
                        group.addTask { for await _ in stream { wake.yield() } }
                    }
                }
                // A new attempt of a run starts its logs again.
                for (run, _) in steps where attempts[run.id] != run.attempt {
                    if attempts[run.id] != nil {
                        for (other, step) in steps where other.id == run.id { have["\(step.nodeIndex):\(step.index)"] = 0 }
                    }
                    attempts[run.id] = run.attempt
                }
                let (update, more) = await update(job: job, steps: steps, have: &have)
                try await outbound.write(.text(JSONResponse.encodeText(update)))
                if update.final && !more {
                    try await outbound.close(.normalClosure, reason: "job finished")
                    break
                }
                if more { continue }
                guard await iterator.next() != nil else { break }
            }
            group.cancelAll()
        }
    }

    /// What wakes a socket's loop besides announcements: the page closing the socket (ends the wake-ups, so the
    /// loop) and a timer every ``quietInterval``.
    static func startWakes(_ group: inout ThrowingDiscardingTaskGroup<any Error>, inbound: WebSocketInboundStream,
                           wake: AsyncStream<Void>.Continuation) {
        group.addTask {
            for try await _ in inbound {}
            wake.finish()
        }
        group.addTask {
            while true {
                try await Task.sleep(for: quietInterval)
                wake.yield()
            }
        }
    }

    /// The job as the page should now show it; `more` when some step has more than one message carries.
    func update(job: JobRecord, steps: [(run: JobRecord, step: StepRecord)],
                have: inout [String: UInt64]) async -> (Update, Bool) {
        var states: [StepState] = []
        var chunks: [Chunk] = []
        var more = false
        for (run, step) in steps {
            let key = "\(step.nodeIndex):\(step.index)"
            let size = step.status == .running
                ? UInt64(max(step.bytes, api.logs.size(job: run.id, attempt: run.attempt, step: step.index)))
                : UInt64(max(step.bytes, 0))
            states.append(StepState(key: key, index: step.index, node_index: step.nodeIndex, name: step.name,
                                    status: step.status.rawValue, exit_code: step.exitCode,
                                    duration: HTML.duration(from: step.startedAt, to: step.stoppedAt), output_bytes: Int64(size)))
            var from = have[key] ?? 0
            guard size > from else { continue }
            var skipped = false
            if size - from > Self.jumpBytes {
                from = size - Self.tailBytes
                skipped = true
            }
            var bytes = await api.output(job: run, step: step, offset: from, limit: Self.chunkBytes)
            guard !bytes.isEmpty else { continue }
            // Whole characters only: a UTF-8 sequence cut at the end waits for the next message.
            if from + UInt64(bytes.count) < size { bytes.removeLast(UTF8Boundary.incompleteTail(bytes)) }
            guard !bytes.isEmpty else { continue }
            chunks.append(Chunk(key: key, offset: from, end: from + UInt64(bytes.count), text: String(decoding: bytes, as: UTF8.self), skipped: skipped))
            have[key] = from + UInt64(bytes.count)
            if from + UInt64(bytes.count) < size { more = true }
        }
        return (Update(status: job.status.rawValue, steps: states, chunks: chunks, final: job.status.isFinal), more)
    }
}
