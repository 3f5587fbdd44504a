import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// The audit log for installation admins: `GET /api/gyre/audit-log` (JSON
/// pages) and `GET /api/gyre/audit-log.csv` (a download). Both take `from`,
/// `to`, `action`, `actor` and `target`; the JSON one also `limit` and
/// `page-token`. The events themselves are stored by the audit-log service.
extension FrontendAPI {
    func registerAudit(on router: Router<Context>) {
        router.get("api/gyre/audit-log") { request, context in try await auditLog(request, context) }
        router.get("api/gyre/audit-log.csv") { request, context in try await auditLogCSV(request, context) }
    }

    var audit: AuditStore { AuditStore(database: store.database) }

    func auditQuery(_ request: Request, _ context: Context) throws -> AuditQuery {
        try requireAdmin(context, because: "reading the audit log")
        var parameters: [String: String] = [:]
        for (key, value) in request.uri.queryParameters where parameters[String(key)] == nil {
            parameters[String(key)] = String(value)
        }
        do {
            return try AuditQuery.parse(parameters)
        } catch {
            throw APIError.badRequest(error.message)
        }
    }

    func auditPage(_ query: AuditQuery, cursor: AuditCursor?, limit: Int) async throws -> (events: [AuditEvent], next: AuditCursor?) {
        try await guarded {
            try await audit.query(from: query.from, to: query.to, action: query.action, actorId: query.actor,
                                  targetId: query.target, limit: limit, cursor: cursor)
        }
    }

    func auditLog(_ request: Request, _ context: Context) async throws -> Response {
        let query = try auditQuery(request, context)
        let page = try await auditPage(query, cursor: query.cursor, limit: query.limit)
        return JSONResponse.make(TokenPage(items: page.events, next_page_token: page.next?.token))
    }

    /// Every matching event (the first page read before answering, so a bad
    /// request or an unreachable database still gets its status), streamed in pages.
    func auditLogCSV(_ request: Request, _ context: Context) async throws -> Response {
        let query = try auditQuery(request, context)
        let pageSize = AuditQuery.maxLimit
        let first = try await auditPage(query, cursor: query.cursor, limit: pageSize)
        let audit = self.audit
        let logger = context.logger
        var headers: HTTPFields = [.contentType: "text/csv; charset=utf-8"]
        headers[.contentDisposition] = "attachment; filename=\"audit-log.csv\""
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            var text = AuditCSV.header
            var page = first
            while true {
                for event in page.events { text += AuditCSV.row(event) }
                try await writer.write(ByteBuffer(string: text))
                text = ""
                guard let next = page.next else { break }
                do {
                    page = try await audit.query(from: query.from, to: query.to, action: query.action, actorId: query.actor,
                                                 targetId: query.target, limit: pageSize, cursor: next)
                } catch {
                    // The status is sent already: the download ends short, and the log says why.
                    logger.error("audit log CSV cut short", metadata: ["error": "\(StoreError.reason(error))"])
                    throw error
                }
            }
            try await writer.finish(nil)
        })
    }

    /// A project setting changed by the caller: what the store records as `project.settings.update`.
    func settingsChange(_ request: Request, _ context: Context, _ payload: [String: AuditValue]) -> ProjectSettingsChange {
        ProjectSettingsChange(cause: AuditRequest.cause(request, context: context), payload: payload)
    }
}
