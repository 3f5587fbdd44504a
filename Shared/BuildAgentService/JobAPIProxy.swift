import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import Logging

/// The server's API as a setup job sees it: a unix socket that the agent
/// serves for the job's lifetime and forwards to the frontend
/// (`GYRE_API_URL`), so a job without network (`--network none`) can still
/// continue its pipeline. Only `POST /api/v2/pipeline/continue` passes;
/// the continuation key in the body is the credential.
struct JobAPIProxy: Sendable {
    /// The frontend, e.g. `http://127.0.0.1:8080`.
    let apiURL: String

    /// Where a Docker job finds the socket (`GYRE_API_SOCKET`).
    static let containerPath = "/run/gyre-api.sock"
    static let environmentVariable = "GYRE_API_SOCKET"
    static let forwardedPath = "/api/v2/pipeline/continue"

    /// `<work dir>/api/<job>-<attempt>.sock` (beside the job directories, so
    /// it is where Docker sees it too); under /tmp when that would exceed the
    /// 107 bytes a unix socket path may have.
    static func socketPath(for job: UUID, attempt: Int, workDirectory: String) -> String {
        let name = "\(job.uuidString.lowercased().prefix(13))-\(attempt).sock"
        let path = "\(workDirectory)/api/\(name)"
        return path.utf8.count <= 100 ? path : "/tmp/gyre-api/\(name)"
    }

    /// Serves `path` while `body` runs, then removes it.
    func serving<T: Sendable>(socket path: String, logger: Logger, _ body: () async -> T) async -> T {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                 withIntermediateDirectories: true)
        unlink(path)
        let router = Router()
        let target = apiURL.hasSuffix("/") ? String(apiURL.dropLast()) : apiURL
        router.post(RouterPath(Self.forwardedPath)) { request, _ -> Response in
            try await Self.forward(request, to: target + Self.forwardedPath)
        }
        let (ready, signal) = AsyncStream<Void>.makeStream()
        let app = Application(router: router, configuration: .init(address: .unixDomainSocket(path: path)),
                              onServerRunning: { _ in
                                  // The job may run as any user of its image.
                                  _ = chmod(path, 0o777)
                                  signal.yield()
                                  signal.finish()
                              }, logger: logger)
        let server = Task { try await app.run() }
        for await _ in ready { break }
        let result = await body()
        server.cancel()
        _ = try? await server.value
        unlink(path)
        return result
    }

    static func forward(_ request: Request, to url: String) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 16 << 20)
        guard let target = URL(string: url) else {
            return Self.message(.badGateway, "GYRE_API_URL does not form a URL: the agent's operator must fix it")
        }
        var forwarded = URLRequest(url: target)
        forwarded.httpMethod = "POST"
        forwarded.setValue("application/json", forHTTPHeaderField: "Content-Type")
        forwarded.httpBody = Data(body.readableBytesView)
        forwarded.timeoutInterval = 60
        do {
            let (data, response) = try await URLSession.shared.data(for: forwarded)
            let status = (response as? HTTPURLResponse)?.statusCode ?? 502
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
        } catch {
            return Self.message(.badGateway, "the build agent cannot reach the server at \(url) "
                                + "(\(error.localizedDescription)); check the agent's GYRE_API_URL")
        }
    }

    static func message(_ status: HTTPResponse.Status, _ text: String) -> Response {
        let data = (try? JSONEncoder().encode(["message": text])) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: data)))
    }
}
