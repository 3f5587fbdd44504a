import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird
import Logging

/// `POST /webhooks/github`: GitHub-format push, pull_request and ping
/// deliveries, signed with the project's webhook secret.
struct WebhookAPI: Sendable {
    let store: WebhookStore
    let pipelines: PipelineStore
    let relay: OutboxRelay
    let maxBody: Int
    let logger: Logger

    typealias Context = GyreRequestContext

    static let event = "x-github-event"
    static let delivery = "x-github-delivery"
    static let signature = "x-hub-signature-256"

    static func header(_ request: Request, _ name: String) -> String? {
        request.headers.first { $0.name.canonicalName == name }?.value
    }

    func register(on router: Router<Context>) {
        router.post("webhooks/github") { request, _ in try await github(request) }
    }

    struct Answer: Encodable {
        var message: String
        var id: UUID?
        var number: Int?
        var state: String?
    }

    func github(_ request: Request) async throws -> Response {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: maxBody)
        } catch {
            throw APIError(.contentTooLarge, "request body is larger than \(maxBody) bytes")
        }
        let body = Data(buffer.readableBytesView)
        guard let event = Self.header(request, Self.event), !event.isEmpty else {
            throw APIError.badRequest("missing X-GitHub-Event header; send GitHub-format webhooks")
        }
        let payload: GitHubWebhook.Payload
        let slug: ProjectSlug
        do {
            payload = try GitHubWebhook.payload(body)
            slug = try GitHubWebhook.project(payload)
        } catch {
            throw APIError.badRequest(error.message)
        }
        let secret: String
        switch try await guarded({ try await store.secret(project: slug) }) {
        case .unknownProject:
            throw APIError.notFound("project \(slug) (follow it first: POST /api/v1.1/project/\(slug)/follow)")
        case .noSecret:
            throw APIError(.unauthorized, "this project has no webhook secret; set one with PUT /api/v2/project/\(slug)/webhook-secret {\"secret\": \"...\"} and use the same secret in the webhook's settings")
        case .secret(let value):
            secret = value
        }
        switch WebhookSignature.verify(header: Self.header(request, Self.signature), body: body, secret: secret) {
        case .valid: break
        case .missing:
            throw APIError(.unauthorized, "missing X-Hub-Signature-256 header; set the webhook's secret to the project's webhook secret")
        case .malformed:
            throw APIError(.unauthorized, "X-Hub-Signature-256 must be sha256=<64 hex digits>")
        case .mismatch:
            throw APIError(.unauthorized, "X-Hub-Signature-256 does not match the body; the webhook's secret differs from the project's webhook secret")
        }
        var logger = self.logger
        logger[metadataKey: "project"] = "\(slug)"
        logger[metadataKey: "event"] = "\(event)"
        switch GitHubWebhook.decide(event: event, payload: payload) {
        case .pong:
            return JSONResponse.make(Answer(message: "pong"))
        case .ignore(let reason):
            logger.info("webhook ignored", metadata: ["reason": "\(reason)"])
            return JSONResponse.make(Answer(message: "ignored: \(reason)"))
        case .trigger(let trigger):
            return try await start(trigger, slug: slug, event: event, request: request, logger: logger)
        }
    }

    func start(_ trigger: GitHubWebhook.Trigger, slug: ProjectSlug, event: String, request: Request,
               logger: Logger) async throws -> Response {
        for ref in [trigger.branch, trigger.tag].compactMap({ $0 }) where !FrontendAPI.isSafeRef(ref) {
            return JSONResponse.make(Answer(message: "ignored: \"\(ref)\" is not a branch or tag name Gyre builds"))
        }
        guard let delivery = Self.header(request, Self.delivery), !delivery.isEmpty, delivery.count <= 200 else {
            throw APIError.badRequest("missing X-GitHub-Delivery header (a unique id per delivery)")
        }
        let pipelineRequest = PipelineRequest(
            project: slug, branch: trigger.branch, tag: trigger.tag, revision: trigger.revision,
            triggerType: "webhook", triggerSource: .webhook, actor: "github")
        let outcome = try await guarded {
            try await store.createPipeline(pipelineRequest, delivery: delivery, event: event)
        }
        switch outcome {
        case .created(let id):
            relay.notify()
            let pipeline = try await guarded { try await pipelines.pipeline(id) }
            logger.info("webhook started a pipeline", metadata: ["pipeline_id": "\(id)", "delivery": "\(delivery)"])
            return JSONResponse.make(Answer(message: "pipeline created", id: id, number: pipeline?.number,
                                            state: pipeline?.state.rawValue), status: .created)
        case .redelivered(let id):
            let pipeline = try await guarded { () -> PipelineRecord? in
                guard let id else { return nil }
                return try await pipelines.pipeline(id)
            }
            return JSONResponse.make(Answer(message: "delivery \(delivery) was received before; nothing new started",
                                            id: id, number: pipeline?.number, state: pipeline?.state.rawValue))
        case .unknownProject:
            throw APIError.notFound("project \(slug) (follow it first: POST /api/v1.1/project/\(slug)/follow)")
        }
    }

    func guarded<T>(_ body: () async throws -> T) async throws -> T {
        try await APIError.guardingDatabase(body)
    }
}

extension FrontendAPI {
    /// The routes of the triggers area: webhooks, the v1.1 trigger and build
    /// calls, the webhook secret and project SSH keys.
    func registerTriggers(on router: Router<Context>) {
        WebhookAPI(store: WebhookStore(database: store.database, secrets: secrets), pipelines: store, relay: relay, maxBody: maxBody,
                   logger: Logger(label: "gyre.frontend.webhooks")).register(on: router)
        registerV11(on: router)
        registerSSHKeys(on: router)
    }
}
