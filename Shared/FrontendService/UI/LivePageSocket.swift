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

/// The pipelines and pipeline pages' live updates: `GET /ws/pages/{vcs}/{org}/{repo}[/{number}]` with the page's own
/// query (`page-token`, `branch`). The frontend follows the announcements of the jobs the page shows that are still
/// moving, and checks every few seconds for what is not announced (a new pipeline, an approval, a cancellation);
/// whenever a status the page shows changes it sends `{"type": "changed"}` and the page reloads its content.
struct LivePageSocket: Sendable {
    let api: FrontendAPI
    let auth: AuthMiddleware
    let subscriber: RedisSubscriber

    static let prefix = "/ws/pages/"

    struct Target: Sendable {
        var slug: ProjectSlug
        var number: Int?
        var branch: String?
        var offset: Int
        /// The version of the state the page was rendered from (`LiveState.version`), if it says.
        var version: String?
    }

    static func target(_ request: Request) -> Target? {
        guard request.uri.path.hasPrefix(prefix) else { return nil }
        let parts = request.uri.path.dropFirst(prefix.count).split(separator: "/").map(String.init)
        guard parts.count == 3 || parts.count == 4,
              let slug = ProjectSlug(vcs: parts[0], org: parts[1], repo: parts[2]) else { return nil }
        var number: Int?
        if parts.count == 4 {
            guard let value = Int(parts[3]), value >= 0 else { return nil }
            number = value
        }
        let offset = Int(request.uri.queryParameters.get("page-token") ?? "0") ?? 0
        let branch = request.uri.queryParameters.get("branch").flatMap { $0.isEmpty ? nil : String($0) }
        let version = request.uri.queryParameters.get("version").flatMap { $0.isEmpty ? nil : String($0) }
        return Target(slug: slug, number: number, branch: branch, offset: max(0, min(offset, 1_000_000)), version: version)
    }

    func shouldUpgrade(_ head: HTTPRequest, channel: any Channel, logger: Logger) async -> ShouldUpgradeResult<
        WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>
    > {
        let request = Request(head: head, body: .init(buffer: ByteBuffer()))
        guard let target = Self.target(request),
              await LiveJobSocket.mayFollow(request, project: target.slug, auth: auth, api: api, channel: channel, logger: logger)
        else { return .dontUpgrade }
        return .upgrade([:]) { inbound, outbound, _ in
            try await follow(target, inbound: inbound, outbound: outbound)
        }
    }

    func state(_ target: Target) async throws -> PipelineStore.LiveState {
        try await api.store.liveState(project: target.slug.description, number: target.number, branch: target.branch,
                                      offset: target.offset, limit: FrontendAPI.pageSize)
    }

    func follow(_ target: Target, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        try await withThrowingDiscardingTaskGroup { group in
            LiveJobSocket.startWakes(&group, inbound: inbound, wake: wake)
            var last = try await state(target)
            var followed = Set<UUID>()
            try await outbound.write(.text(#"{"type":"watching"}"#))
            // Something changed between the page's rendering and this socket: say so at once.
            if let version = target.version, version != last.version {
                try await outbound.write(.text(#"{"type":"changed"}"#))
            }
            var iterator = wakes.makeAsyncIterator()
            while true {
                for job in last.moving where !followed.contains(job) {
                    followed.insert(job)
                    let stream = subscriber.stream(channel: LiveTail.statusChannel(namespace: api.namespace, job: job))
                    group.addTask { for await _ in stream { wake.yield() } }
                }
                guard await iterator.next() != nil else { break }
                let now = try await state(target)
                if now.fingerprint != last.fingerprint {
                    try await outbound.write(.text(#"{"type":"changed"}"#))
                    // A job's end moves its workflow a moment later (the dispatcher): look again shortly.
                    group.addTask {
                        try await Task.sleep(for: .milliseconds(300))
                        wake.yield()
                    }
                }
                last = now
            }
            group.cancelAll()
        }
    }
}
