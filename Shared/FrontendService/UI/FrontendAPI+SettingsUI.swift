import Foundation
import GyreModel
import GyreServiceKit
import GyreStore
import Hummingbird

/// Settings pages: a project's (environment variables, SSH keys, the webhook
/// secret and URL, auto-cancel), an organisation's (contexts and their
/// variables, members), and the installation admin's (users, audit log).
/// Lists are rendered here; changes go through the API from the page's
/// script with the session's CSRF token (`form.api`: method and URL in data
/// attributes, the fields as a JSON body).
extension FrontendAPI {
    func registerSettingsUI(on router: Router<Context>) {
        router.get("settings/project/:vcs/:org/:repo") { _, context in
            try await uiPage(context) { try await projectSettingsPage(context) }
        }
        router.get("settings/organization/:vcs/:org") { _, context in
            try await uiPage(context) { try await organizationSettingsPage(context) }
        }
        router.get("admin") { request, context in try await uiPage(context) { try await adminPage(request, context) } }
    }

    /// A form the page's script sends to the API as JSON (`fields` are the inputs' names).
    static func apiForm(id: String, method: String, url: String, fields: String, button: String) -> String {
        """
        <form class="api inline" id="\(HTML.escape(id))" data-method="\(method)" data-url="\(HTML.escape(url))">
        \(fields)<button type="submit">\(HTML.escape(button))</button></form>
        """
    }

    static func field(_ name: String, label: String, type: String = "text", id: String) -> String {
        "<label for=\"\(id)\">\(HTML.escape(label))</label><input id=\"\(id)\" name=\"\(name)\" type=\"\(type)\" required>"
    }

    static func deleteButton(_ url: String, label: String) -> String {
        "<button class=\"action cancel\" data-method=\"DELETE\" data-url=\"\(HTML.escape(url))\" aria-label=\"\(HTML.escape(label))\">"
            + "Delete</button>"
    }

    func projectSettingsPage(_ context: Context) async throws -> Response {
        let slug = try await slug(context, may: .manage)
        guard try await guarded({ try await store.project(slug) }) != nil else { throw APIError.notFound("project \(slug)") }
        let variables = try await guarded { try await envVars.variables(project: slug) }
        let keys = try await guarded {
            try await SSHKeyStore(database: store.database, secrets: secrets).keys(project: slug, includePrivate: false)
        }
        let settings = try await guarded { try await control.settings(project: slug) } ?? ProjectSettings()
        let envRows = variables.map { variable in
            "<tr><td>\(HTML.escape(variable.name))</td><td><code>\(HTML.escape(variable.masked))</code></td><td>"
                + Self.deleteButton("/api/v2/project/\(slug)/envvar/\(HTML.component(variable.name))", label: "Delete \(variable.name)")
                + "</td></tr>"
        }.joined()
        let keyRows = keys.map { key in
            "<tr><td><code>\(HTML.escape(key.fingerprint))</code></td><td>\(HTML.escape(key.hostname.isEmpty ? "any host" : key.hostname))</td>"
                + "<td>\(HTML.escape(key.keyType))</td></tr>"
        }.joined()
        let body = """
            <h1>Settings · <a href="/pipelines/\(slug)">\(HTML.escape(slug.description))</a></h1>
            <section aria-labelledby="env"><h2 id="env">Environment variables</h2>
            <table><thead><tr><th scope="col">Name</th><th scope="col">Value</th><th scope="col"></th></tr></thead>
            <tbody id="env-vars">\(envRows)</tbody></table>
            \(Self.apiForm(id: "add-env-var", method: "POST", url: "/api/v2/project/\(slug)/envvar",
                           fields: Self.field("name", label: "Name", id: "env-name")
                               + Self.field("value", label: "Value", type: "password", id: "env-value"), button: "Add variable"))
            </section>
            <section aria-labelledby="ssh"><h2 id="ssh">SSH keys</h2>
            <table><thead><tr><th scope="col">Fingerprint</th><th scope="col">Host</th><th scope="col">Type</th></tr></thead>
            <tbody>\(keyRows)</tbody></table>
            <form class="api" id="add-ssh-key" data-method="POST" data-url="/api/v1.1/project/\(slug)/ssh-key">
            <label for="ssh-host">Hostname (empty: any host)</label><input id="ssh-host" name="hostname">
            <label for="ssh-key">Private key</label><textarea id="ssh-key" name="private_key" rows="4" cols="60" required></textarea>
            <button type="submit">Add SSH key</button></form>
            </section>
            <section aria-labelledby="hook"><h2 id="hook">GitHub webhook</h2>
            <p>Payload URL to paste into GitHub: <code id="webhook-url">\(HTML.escape(externalURL))/webhooks/github</code>
            (content type <code>application/json</code>, the same secret as here).</p>
            \(Self.apiForm(id: "webhook-secret", method: "PUT", url: "/api/v2/project/\(slug)/webhook-secret",
                           fields: Self.field("secret", label: "Webhook secret", type: "password", id: "hook-secret"),
                           button: "Set secret"))
            </section>
            <section aria-labelledby="badge"><h2 id="badge">Status badge</h2>
            <p><img src="/badges/\(slug).svg?branch=main" alt="build status of main"></p>
            <p><label for="badge-markdown">Markdown</label>
            <input id="badge-markdown" readonly size="90" value="[![build](\(HTML.escape(externalURL))/badges/\(slug).svg?branch=main)](\(HTML.escape(externalURL))/pipelines/\(slug))"></p>
            </section>
            <section aria-labelledby="advanced"><h2 id="advanced">Advanced</h2>
            <p>Auto-cancel redundant builds: <strong id="autocancel">\(settings.autocancelBuilds ? "on" : "off")</strong>
            <button class="action" data-method="PATCH" data-url="/api/v2/project/\(slug)/settings"
             data-body='{"advanced": {"autocancel_builds": \(settings.autocancelBuilds ? "false" : "true")}}'>Turn \(settings.autocancelBuilds ? "off" : "on")</button></p>
            </section>
            """
        return HTML.page(title: "Settings \(slug)", caller: context.caller, body: body)
    }

    func organizationSettingsPage(_ context: Context) async throws -> Response {
        let organization = try organizationSlug(context)
        let role = try await authorizeOrganization(context, organization, manage: false)
        let manage = context.caller?.admin == true || role == .admin
        guard let org = try await guarded({ try await roles.organization(slug: organization) }) else {
            throw APIError.notFound("organisation \(organization)")
        }
        let contexts = try await guarded { try await contextStore.contexts(organization: org.id, offset: 0, limit: 200) }
        var contextRows: [String] = []
        for record in contexts {
            let variables = try await guarded { try await contextStore.variables(context: record.id, offset: 0, limit: 200) }
            let restrictions = try await guarded { try await contextStore.restrictions(context: record.id) }
            let id = record.id.uuidString.lowercased()
            let names = variables.map { variable in
                "<li>\(HTML.escape(variable.name))"
                    + (manage ? " " + Self.deleteButton("/api/v2/context/\(id)/environment-variable/\(HTML.component(variable.name))",
                                                         label: "Delete \(variable.name)") : "") + "</li>"
            }.joined()
            let limits = restrictions.isEmpty ? "everyone in the organisation"
                : restrictions.map { "\($0.type.rawValue) \(HTML.escape($0.name.isEmpty ? $0.value : $0.name))" }.joined(separator: ", ")
            contextRows.append("""
                <section class="context" data-name="\(HTML.escape(record.name))"><h3>\(HTML.escape(record.name))</h3>
                <p class="muted">Used by: \(limits)</p><ul>\(names)</ul>
                \(manage ? Self.apiForm(id: "store-\(id)", method: "PUT", url: "/api/v2/context/\(id)/environment-variable/{name}",
                                        fields: Self.field("name", label: "Name", id: "name-\(id)")
                                            + Self.field("value", label: "Value", type: "password", id: "value-\(id)"),
                                        button: "Store variable")
                          + " " + Self.deleteButton("/api/v2/context/\(id)", label: "Delete context \(record.name)") : "")
                </section>
                """)
        }
        let members = try await guarded { try await roles.orgMembers(organization) }
        let memberRows = members.map { "<tr><td>\(HTML.escape($0.login))</td><td>\(HTML.escape($0.role))</td></tr>" }.joined()
        let create = manage ? Self.apiForm(id: "create-context", method: "POST", url: "/api/v2/context",
                                           fields: Self.field("name", label: "New context", id: "context-name")
                                               + "<input type=\"hidden\" name=\"owner.slug\" value=\"\(HTML.escape(organization))\">",
                                           button: "Create context") : ""
        let body = """
            <h1>Organisation \(HTML.escape(organization))</h1>
            <section aria-labelledby="contexts"><h2 id="contexts">Contexts</h2>\(create)
            \(contextRows.isEmpty ? "<p class=\"muted\">No contexts yet.</p>" : contextRows.joined(separator: "\n"))</section>
            <section aria-labelledby="members"><h2 id="members">Members</h2>
            <table><thead><tr><th scope="col">Login</th><th scope="col">Role</th></tr></thead><tbody>\(memberRows)</tbody></table></section>
            """
        return HTML.page(title: "Organisation \(organization)", caller: context.caller, body: body)
    }

    func adminPage(_ request: Request, _ context: Context) async throws -> Response {
        try requireAdmin(context, because: "the admin pages")
        let users = try await guarded { try await identity.users() }
        let userRows = users.map { user in
            let url = "/api/gyre/users/\(HTML.component(user.login))"
            return """
                <tr class="user" data-login="\(HTML.escape(user.login))"><td>\(HTML.escape(user.login))</td><td>\(HTML.escape(user.name))</td>
                <td>\(user.admin ? "admin" : "")</td><td>\(user.active ? "active" : "deactivated")</td><td>
                <button class="action" data-method="PATCH" data-url="\(url)" data-body='{"admin": \(!user.admin)}'>\(user.admin ? "Demote" : "Promote")</button>
                <button class="action cancel" data-method="PATCH" data-url="\(url)" data-body='{"active": \(!user.active)}'>\(user.active ? "Deactivate" : "Activate")</button>
                </td></tr>
                """
        }.joined()
        // The last reading of the ready-agent's (a new one is asked for when it is older than 2 s).
        async let health = systemHealth.current()
        let operations = OperationsStore(database: store.database)
        let agents = try await guarded { try await operations.agents() }
        let queue = try await guarded { try await operations.queue() }
        let agentRows = agents.map { agent in
            let verb = agent.drained ? "Undrain" : "Drain"
            let url = "/api/gyre/agents/\(HTML.component(agent.name))/\(verb.lowercased())"
            let button = "<button class=\"action\(agent.drained ? "" : " cancel")\" data-method=\"POST\" data-url=\"\(HTML.escape(url))\" "
                + "aria-label=\"\(verb) \(HTML.escape(agent.name))\">\(verb)</button>"
            return "<tr class=\"agent\" data-name=\"\(HTML.escape(agent.name))\" data-state=\"\(agent.availability.rawValue)\">"
                + "<td>\(HTML.escape(agent.name))</td><td>\(HTML.escape(agent.capabilities.joined(separator: ", ")))</td>"
                + "<td>\(agent.running) / \(agent.capacity)</td><td>\(agent.availability.label)</td>"
                + "<td>\(HTML.time(agent.lastSeen))</td><td>\(button)</td></tr>"
        }.joined()
        let queueRows = queue.map { row in
            "<tr class=\"queue\"><td>\(HTML.escape(row.capability))</td><td>\(row.depth)</td><td>\(HTML.time(row.oldest))</td></tr>"
        }.joined()
        let action = request.uri.queryParameters.get("action").map { String($0) }
        // The last hour's events (the audit API pages from the oldest; its CSV has everything).
        var parameters: [String: String] = ["limit": "50", "from": ISO8601.format(Date().addingTimeInterval(-3600))]
        if let action, !action.isEmpty { parameters["action"] = action }
        let query = try AuditQuery.parse(parameters)
        let events = try await auditPage(query, cursor: nil, limit: query.limit).events
        let eventRows = events.map { event in
            "<tr><td>\(HTML.time(event.occurredAt))</td><td>\(HTML.escape(event.action))</td><td>\(HTML.escape(event.actor.name ?? event.actor.id))</td>"
                + "<td>\(HTML.escape(event.target.name ?? event.target.id))</td><td>\(event.success ? "" : "refused")</td></tr>"
        }.joined()
        let (healthReading, healthAt) = await health
        let body = """
            <h1>Administration</h1>
            <section aria-labelledby="users"><h2 id="users">Users</h2>
            <table><thead><tr><th scope="col">Login</th><th scope="col">Name</th><th scope="col">Admin</th><th scope="col">State</th>
            <th scope="col">Change</th></tr></thead><tbody>\(userRows)</tbody></table></section>
            <section aria-labelledby="agents"><h2 id="agents">Build agents</h2>
            <table><thead><tr><th scope="col">Agent</th><th scope="col">Offers</th><th scope="col">Running / capacity</th>
            <th scope="col">State</th><th scope="col">Last heartbeat</th><th scope="col">Change</th></tr></thead>
            <tbody>\(agentRows)</tbody></table>
            <p class="muted">A drained agent gets no new jobs; the ones it runs finish. An agent shutting down said so itself.</p>
            <h3>Queue</h3>
            \(queueRows.isEmpty ? "<p class=\"muted\" id=\"queue-empty\">No job is waiting for an agent.</p>" : """
            <table><thead><tr><th scope="col">Needs</th><th scope="col">Waiting jobs</th><th scope="col">Oldest since</th></tr></thead>
            <tbody>\(queueRows)</tbody></table>
            """)
            </section>
            \(Self.healthSection(healthReading, at: healthAt))
            <section aria-labelledby="audit"><h2 id="audit">Audit log <span class="muted">(the last hour, 50 events)</span></h2>
            <form class="inline" method="get" action="/admin"><label for="audit-action">Action</label>
            <input id="audit-action" name="action" value="\(HTML.escape(action ?? ""))" placeholder="e.g. user.logged_in">
            <button type="submit">Filter</button>
            <a id="audit-csv" href="/api/gyre/audit-log.csv\(action.map { "?action=\(HTML.component($0))" } ?? "")">Download CSV</a></form>
            <table><thead><tr><th scope="col">When</th><th scope="col">Action</th><th scope="col">Actor</th><th scope="col">Target</th>
            <th scope="col"></th></tr></thead><tbody id="audit-events">\(eventRows)</tbody></table></section>
            """
        return HTML.page(title: "Administration", caller: context.caller, body: body)
    }

    /// The ready-agent's view of every service: ready or not, why, and how long its `/status` took.
    static func healthSection(_ reading: SystemHealth.Reading, at: Date) -> String {
        let content: String
        switch reading {
        case .notConfigured:
            content = "<p class=\"muted\" id=\"health-unconfigured\">Not configured: set GYRE_READY_URL to the ready-agent's /ready.</p>"
        case .unavailable(let why):
            content = "<p role=\"status\" id=\"health-unavailable\">\(HTML.escape(why)).</p>"
        case .answered(let ready, let checks, let milliseconds):
            let rows = checks.map { check in
                let status = check.status.map { "HTTP \($0)" } ?? "no answer"
                let time = check.response_ms.map { String(format: "%.1f ms", $0) } ?? ""
                return "<tr class=\"service\" data-name=\"\(HTML.escape(check.name))\" data-ready=\"\(check.ready)\">"
                    + "<td>\(HTML.escape(check.name))</td><td>\(check.ready ? "ready" : "<strong>not ready</strong>")</td>"
                    + "<td>\(HTML.escape(check.ready ? status : (check.error ?? status)))</td><td>\(time)</td></tr>"
            }.joined()
            let summary = ready ? "Every service is ready." : "<strong>Not every service is ready.</strong>"
            content = "<p id=\"health-summary\">\(summary) <span class=\"muted\">(checked \(HTML.time(at)); the ready-agent "
                + "answered in \(String(format: "%.0f", milliseconds)) ms)</span></p>"
                + "<table><thead><tr><th scope=\"col\">Service</th><th scope=\"col\">Ready</th><th scope=\"col\">Status</th>"
                + "<th scope=\"col\">Response time</th></tr></thead><tbody id=\"health-services\">\(rows)</tbody></table>"
        }
        return "<section aria-labelledby=\"health\"><h2 id=\"health\">System health</h2>\(content)</section>"
    }
}
