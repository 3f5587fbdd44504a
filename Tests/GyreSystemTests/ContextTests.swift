import Foundation
import GyreLocal
import Testing

/// Contexts and project environment variables: the API (CircleCI's shapes),
/// delivery to jobs in CircleCI's precedence, masking in job output,
/// restrictions (`unauthorized`), audit, and a database dump without values.
extension EndToEnd {
@Suite struct ContextTests {
    static func text(_ data: Data) -> String { String(decoding: data, as: UTF8.self) }

    static func json(_ data: Data) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    /// Sends JSON as the installation admin (or `token`'s user); fails the test on an unexpected status.
    static func call(_ system: SystemFixture, _ method: String, _ path: String, _ body: Any? = nil, token: String? = nil,
                     expect status: Int) async throws -> [String: Any] {
        let probe = token.map { HTTPProbe.authenticated($0) } ?? system.http
        let data = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let (code, answer) = await probe.send(method, system.system.apiURL.appendingPathComponent(path), body: data)
        #expect(code == status, "\(method) \(path): \(code) \(text(answer))")
        return json(answer)
    }

    static func url(_ system: SystemFixture, _ path: String, _ query: String) -> URL {
        var components = URLComponents(url: system.system.apiURL.appendingPathComponent(path), resolvingAgainstBaseURL: false)!
        components.percentEncodedQuery = query
        return components.url!
    }

    static func createContext(_ system: SystemFixture, _ name: String, _ variables: [String: String]) async throws -> String {
        let created = try await call(system, "POST", "api/v2/context", ["name": name, "owner": ["slug": "gh/acme"]], expect: 200)
        let id = try #require(created["id"] as? String)
        for (variable, value) in variables {
            _ = try await call(system, "PUT", "api/v2/context/\(id)/environment-variable/\(variable)", ["value": value], expect: 200)
        }
        return id
    }

    /// The first 16 hex digits of a value's SHA-256, as the job prints them.
    static func digest(_ value: String) throws -> String {
        String(try SystemFixture.shell(["sh", "-c", "printf %s \"$0\" | sha256sum | cut -c1-16", value])
            .trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static let multi = "line-one-secret\nline-two-secret\nx"
    static let special = "p@ss w/rd+&=!"

    @Test func jobsGetTheirVariablesInCircleCIsPrecedenceAndEveryFormIsMasked() async throws {
        let system = try fixture
        let config = """
            version: 2.1
            jobs:
              check:
                machine: true
                resource_class: gyre/host
                environment:
                  JOB_LEVEL: job
                  OVERRIDE_ME: job-wins
                steps:
                  - run:
                      name: precedence
                      environment:
                        STEP_LEVEL: step
                      command: |
                        for v in SHARED PROJ_ONLY CTX_ONLY OVERRIDE_ME STEP_LEVEL JOB_LEVEL CIRCLE_PROJECT_REPONAME; do
                          printf '%s=' "$v"; printf %s "${!v}" | sha256sum | cut -c1-16
                        done
                  - run:
                      name: leak
                      command: |
                        echo "plain: $PROJ_ONLY"
                        printf 'split: %s' "${CTX_ONLY:0:6}"; sleep 0.5; printf '%s\\n' "${CTX_ONLY:6}"
                        printf '%s\\n' "$MULTI"
                        printf %s "$PROJ_ONLY" | base64
                        python3 -c 'import os,urllib.parse;print("url: " + urllib.parse.quote(os.environ["SPECIAL"], safe=""))'
                        python3 -c 'import os,json;print("json: " + json.dumps(os.environ["MULTI"]) + " " + json.dumps(os.environ["SPECIAL"]))'
                        echo "short: $SHORT"
              bare:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: 'printf "PROJ_ONLY="; printf %s "$PROJ_ONLY" | sha256sum | cut -c1-16; echo "CTX_ONLY=[$CTX_ONLY]"'
            workflows:
              main:
                jobs:
                  - check:
                      context: [ctx-a, ctx-b]
                  - bare
            """
        let slug = try await system.project("ctxapp", config: config)
        let projectVariables = ["PROJ_ONLY": "project-value-1234", "SHARED": "from-project", "OVERRIDE_ME": "from-project",
                                "SHORT": "abc"]
        for (name, value) in projectVariables {
            let stored = try await Self.call(system, "POST", "api/v2/project/\(slug)/envvar", ["name": name, "value": value],
                                             expect: 201)
            #expect(stored["name"] as? String == name && stored["value"] as? String != value)
        }
        _ = try await Self.createContext(system, "ctx-a", ["CTX_ONLY": "context-a-value", "SHARED": "from-context-a",
                                                           "MULTI": Self.multi, "SPECIAL": Self.special])
        _ = try await Self.createContext(system, "ctx-b", ["SHARED": "from-context-b", "OVERRIDE_ME": "from-context"])

        let pipeline = try await system.client.trigger(slug)
        let outcome = try await system.client.wait(for: pipeline.id)
        #expect(outcome.status == "success", "\(outcome.workflows.map { ($0.workflow.status, $0.jobs.map(\.status)) })")
        let jobs = outcome.workflows.flatMap(\.jobs)
        let check = try #require(jobs.first { $0.name == "check" }?.job_number)
        let bare = try #require(jobs.first { $0.name == "bare" }?.job_number)
        let steps = try await system.client.steps(slug, job: check)
        let setup = steps.first { $0.index == 0 }?.output ?? ""
        #expect(setup.contains("PROJ_ONLY=********") && setup.contains("(context ctx-b)"), "\(setup)")
        // Each variable's value as the job saw it (a digest: the job's output masks the values themselves).
        let precedence = steps.first { $0.name == "precedence" }?.output ?? ""
        let expected = ["SHARED": "from-context-b", "PROJ_ONLY": "project-value-1234", "CTX_ONLY": "context-a-value",
                        "OVERRIDE_ME": "job-wins", "STEP_LEVEL": "step", "JOB_LEVEL": "job", "CIRCLE_PROJECT_REPONAME": "ctxapp"]
        for (name, value) in expected {
            #expect(precedence.contains("\(name)=\(try Self.digest(value))"), "\(name) is not \(value) in: \(precedence)")
        }
        let leak = steps.first { $0.name == "leak" }?.output ?? ""
        let base64 = Data("project-value-1234".utf8).base64EncodedString()
        let url = Self.special.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        for secret in ["project-value-1234", "context-a-value", "line-one-secret", "line-two-secret", base64, url,
                       "p@ss w/rd"] {
            #expect(!leak.contains(secret), "\(secret) leaked: \(leak)")
        }
        #expect(leak.contains("plain: ********") && leak.contains("split: ********\n") && leak.contains("url: ********"), "\(leak)")
        #expect(leak.contains("short: abc"), "values under four characters are not masked: \(leak)")
        // The live tail's copy (read through the API while stored) says the same.
        let stored = try await system.client.stepOutput(slug, job: check, step: steps.first { $0.name == "leak" }?.index ?? 2,
                                                       node: 0)
        #expect(!stored.contains("context-a-value") && stored.contains("********"))
        let bareOutput = try await system.client.steps(slug, job: bare).map(\.output).joined()
        #expect(bareOutput.contains("PROJ_ONLY=\(try Self.digest("project-value-1234"))") && bareOutput.contains("CTX_ONLY=[]"),
                "a job without contexts gets the project's variables only: \(bareOutput)")

        // Listings: names with a masked value (project), names only (context); never a value.
        let list = try await Self.call(system, "GET", "api/v2/project/\(slug)/envvar", expect: 200)
        let items = try #require(list["items"] as? [[String: Any]])
        #expect(Set(items.compactMap { $0["name"] as? String }) == Set(projectVariables.keys))
        #expect(items.first { $0["name"] as? String == "PROJ_ONLY" }?["value"] as? String == "xxxx1234")
        #expect(items.first { $0["name"] as? String == "SHORT" }?["value"] as? String == "xxxx")
        #expect(items.allSatisfy { $0["created-at"] is String } && list.keys.contains("next_page_token"))
        let (v11Code, v11Body) = await system.http.send("GET", system.system.apiURL.appendingPathComponent(
            "api/v1.1/project/\(slug)/envvar"), body: nil)
        let v11 = (try? JSONSerialization.jsonObject(with: v11Body)) as? [[String: Any]] ?? []
        #expect(v11Code == 200 && v11.count == projectVariables.count && !Self.text(v11Body).contains("project-value"),
                "\(v11Code) \(Self.text(v11Body))")
        let one = try await Self.call(system, "GET", "api/v1.1/project/\(slug)/envvar/PROJ_ONLY", expect: 200)
        #expect(one["value"] as? String == "xxxx1234")

        // A database dump holds none of the values.
        let dump = try SystemFixture.shell(["pg_dump", "--data-only", system.system.configuration.postgresURL])
        for value in ["project-value-1234", "context-a-value", "from-context-b", "line-one-secret", "p@ss w/rd"] {
            #expect(!dump.contains(value), "\(value) is in the dump")
        }
    }

    @Test func aDockerJobsSecretsAreNotInItsContainerConfiguration() async throws {
        let system = try fixture
        let slug = try await system.project("ctxdocker", config: """
            version: 2.1
            jobs:
              build:
            \(dockerJob("      - run: 'touch /tmp/started; sleep 4; echo \"length ${#DOCKER_SECRET}\"'"))
            """)
        _ = try await Self.call(system, "POST", "api/v2/project/\(slug)/envvar",
                                ["name": "DOCKER_SECRET", "value": "docker-secret-value-77"], expect: 201)
        let pipeline = try await system.client.trigger(slug)
        // While the step runs, inspect the job's containers: the value is in none of them.
        var inspected = ""
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline && inspected.isEmpty {
            let names = try SystemFixture.shell(["docker", "ps", "--filter", "label=gyre.project=\(slug)", "--format", "{{.Names}}"])
                .split(separator: "\n").map(String.init)
            if let name = names.first,
               (try? SystemFixture.shell(["docker", "exec", name, "test", "-e", "/tmp/started"])) != nil {
                inspected = try SystemFixture.shell(["docker", "inspect", name])
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(inspected.contains("\"Env\"") && !inspected.contains("docker-secret-value-77"), "\(inspected.prefix(300))")
        let outcome = try await system.client.wait(for: pipeline.id)
        let job = try #require(outcome.workflows.first?.jobs.first)
        let output = try await system.client.steps(slug, job: job.job_number ?? 0).map(\.output).joined()
        #expect(job.status == "success" && output.contains("length 22"), "\(job.status) \(output)")
    }

    @Test func theAPIFollowsCircleCIsShapesAndRefusesBadInput() async throws {
        let system = try fixture
        let slug = try await system.project("ctxapi", config: "version: 2.1\njobs:\n  build:\n\(hostJob("true"))\n")
        let id = try await Self.createContext(system, "ctx-api", ["API_TOKEN": "api-token-value-9876"])
        let org = try #require(try system.sql("SELECT id FROM organizations WHERE slug = 'gh/acme'").first)
        for query in ["owner-slug=gh/acme", "owner-slug=github/acme", "owner-id=\(org)"] {
            let (code, body) = await system.http.send("GET", Self.url(system, "api/v2/context", query), body: nil)
            let list = Self.json(body)
            let names = (list["items"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(code == 200 && names.contains("ctx-api") && list.keys.contains("next_page_token"), "\(query): \(Self.text(body))")
        }
        let context = try await Self.call(system, "GET", "api/v2/context/\(id)", expect: 200)
        #expect(Set(context.keys) == ["id", "name", "created_at"] && context["name"] as? String == "ctx-api")
        let variables = try await Self.call(system, "GET", "api/v2/context/\(id)/environment-variable", expect: 200)
        let variable = try #require((variables["items"] as? [[String: Any]])?.first)
        #expect(Set(variable.keys) == ["variable", "created_at", "updated_at", "context_id"])
        #expect(variable["variable"] as? String == "API_TOKEN" && variable["context_id"] as? String == id)

        // Restrictions: project (by slug or id), group (by name), expression; duplicates 409; bad ones 400.
        _ = try await Self.call(system, "POST", "api/gyre/orgs/gh/acme/groups", ["name": "api-group"], expect: 201)
        let project = try await Self.call(system, "POST", "api/v2/context/\(id)/restrictions",
                                          ["restriction_type": "project", "restriction_value": slug], expect: 201)
        #expect(project["name"] as? String == slug && UUID(uuidString: project["restriction_value"] as? String ?? "") != nil)
        _ = try await Self.call(system, "POST", "api/v2/context/\(id)/restrictions",
                                ["restriction_type": "project", "restriction_value": slug], expect: 409)
        _ = try await Self.call(system, "POST", "api/v2/context/\(id)/restrictions",
                                ["restriction_type": "group", "restriction_value": "api-group"], expect: 201)
        let expression = try await Self.call(system, "POST", "api/v2/context/\(id)/restrictions",
                                             ["restriction_type": "expression", "restriction_value": "pipeline.git.branch == \"main\""],
                                             expect: 201)
        _ = try await Self.call(system, "POST", "api/v2/context/\(id)/restrictions",
                                ["restriction_type": "expression", "restriction_value": "pipeline.git.branch =="], expect: 400)
        _ = try await Self.call(system, "POST", "api/v2/context/\(id)/restrictions",
                                ["restriction_type": "group", "restriction_value": "no-such-group"], expect: 400)
        let restrictions = try await Self.call(system, "GET", "api/v2/context/\(id)/restrictions", expect: 200)
        #expect((restrictions["items"] as? [[String: Any]])?.count == 3)
        let removed = try await Self.call(system, "DELETE", "api/v2/context/\(id)/restrictions/\(expression["id"] as? String ?? "")",
                                          expect: 200)
        #expect(removed["message"] as? String == "Context restriction deleted.")

        // Bad input and unknown things: a clear status and message.
        _ = try await Self.call(system, "POST", "api/v2/context", ["name": "ctx-api", "owner": ["slug": "gh/acme"]], expect: 409)
        _ = try await Self.call(system, "POST", "api/v2/context", ["name": "x", "owner": ["slug": "gh/nobody"]], expect: 404)
        _ = try await Self.call(system, "GET", "api/v2/context/\(UUID())", expect: 404)
        _ = try await Self.call(system, "GET", "api/v2/context/not-a-uuid", expect: 400)
        _ = try await Self.call(system, "PUT", "api/v2/context/\(id)/environment-variable/1BAD", ["value": "v"], expect: 400)
        _ = try await Self.call(system, "POST", "api/v2/project/\(slug)/envvar", ["name": "BAD-NAME", "value": "v"], expect: 400)
        _ = try await Self.call(system, "POST", "api/v2/project/\(slug)/envvar", ["name": "NO_VALUE"], expect: 400)
        _ = try await Self.call(system, "GET", "api/v2/project/\(slug)/envvar/MISSING", expect: 404)

        // Roles: a member reads names; only an admin of the organisation changes contexts; only a project admin
        // changes project variables.
        let member = try system.user("ctx-member")
        try await system.grant("ctx-member", role: "member")
        _ = try await Self.call(system, "GET", "api/v2/context/\(id)/environment-variable", token: member, expect: 200)
        let refused = try await Self.call(system, "PUT", "api/v2/context/\(id)/environment-variable/X", ["value": "y"],
                                          token: member, expect: 403)
        #expect((refused["message"] as? String ?? "").contains("not an admin"))
        _ = try await Self.call(system, "POST", "api/v2/project/\(slug)/envvar", ["name": "X", "value": "y"], token: member,
                                expect: 403)
        let outsider = try system.user("ctx-outsider")
        _ = try await Self.call(system, "GET", "api/v2/context/\(id)", token: outsider, expect: 404)

        // Deleting: variables, then the context (its variables and restrictions with it).
        let deleted = try await Self.call(system, "DELETE", "api/v2/context/\(id)/environment-variable/API_TOKEN", expect: 200)
        #expect(deleted["message"] as? String == "Environment variable deleted.")
        _ = try await Self.call(system, "DELETE", "api/v2/context/\(id)/environment-variable/API_TOKEN", expect: 404)
        _ = try await Self.call(system, "DELETE", "api/v2/context/\(id)", expect: 200)
        _ = try await Self.call(system, "GET", "api/v2/context/\(id)", expect: 404)
        _ = try await Self.call(system, "POST", "api/v1.1/project/\(slug)/envvar", ["name": "V11", "value": "v11-value-1"],
                                expect: 200)
        _ = try await Self.call(system, "DELETE", "api/v1.1/project/\(slug)/envvar/V11", expect: 200)

        // Audit: CircleCI's actions with the variable's name, never its value.
        let (code, body) = await system.http.send("GET", Self.url(system, "api/gyre/audit-log", "target=\(id)"),
                                                  body: nil)
        let audit = Self.text(body)
        let (projectCode, projectBody) = await system.http.send(
            "GET", Self.url(system, "api/gyre/audit-log", "action=project.env_var.create"), body: nil)
        #expect(code == 200 && projectCode == 200)
        let deadline = ContinuousClock.now + .seconds(20)
        var actions = Set<String>()
        while ContinuousClock.now < deadline {
            let (_, body) = await system.http.send("GET", Self.url(system, "api/gyre/audit-log", "target=\(id)"),
                                                   body: nil)
            actions = Set(((Self.json(body)["items"] as? [[String: Any]]) ?? []).compactMap { $0["action"] as? String })
            if actions.isSuperset(of: ["context.create", "context.env_var.store", "context.env_var.delete", "context.delete"]) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(actions.isSuperset(of: ["context.create", "context.env_var.store", "context.env_var.delete", "context.delete"]),
                "\(actions)")
        #expect(!audit.contains("api-token-value") && !Self.text(projectBody).contains("v11-value"))
    }

    @Test func aRestrictedContextMakesTheJobUnauthorizedForAUserOutsideItsGroup() async throws {
        let system = try fixture
        let config = """
            version: 2.1
            jobs:
              deploy:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: '[ -n "$DEPLOY_KEY" ] && echo "DEPLOYED with a ${#DEPLOY_KEY}-character key"'
            workflows:
              main:
                jobs:
                  - deploy:
                      context: ctx-ops
            """
        let slug = try await system.project("ctxops", config: config)
        let id = try await Self.createContext(system, "ctx-ops", ["DEPLOY_KEY": "deploy-key-value-42"])
        _ = try await Self.call(system, "POST", "api/gyre/orgs/gh/acme/groups", ["name": "ops"], expect: 201)
        _ = try await Self.call(system, "POST", "api/v2/context/\(id)/restrictions",
                                ["restriction_type": "group", "restriction_value": "ops"], expect: 201)
        let alice = try system.user("ctx-alice")
        let bob = try system.user("ctx-bob")
        for login in ["ctx-alice", "ctx-bob"] { try await system.grant(login, role: "member") }
        _ = try await Self.call(system, "PUT", "api/gyre/orgs/gh/acme/groups/ops/members/ctx-alice", expect: 200)

        func run(as token: String) async throws -> (status: String, output: String) {
            let client = APIClient(base: system.system.apiURL, token: token)
            let pipeline = try await client.trigger(slug)
            let outcome = try await client.wait(for: pipeline.id)
            let job = try #require(outcome.workflows.first?.jobs.first)
            let output = try await client.steps(slug, job: job.job_number ?? 0).map(\.output).joined(separator: "\n")
            return (job.status, output)
        }
        let inside = try await run(as: alice)
        #expect(inside.status == "success" && inside.output.contains("DEPLOYED with a 19-character key"), "\(inside)")
        let outside = try await run(as: bob)
        #expect(outside.status == "unauthorized", "\(outside)")
        #expect(outside.output.contains("ctx-ops") && outside.output.contains("ctx-bob") && !outside.output.contains("DEPLOYED"),
                "\(outside.output)")
        // After an approval, the approver's rights count: bob approving alice's pipeline makes the deploy
        // unauthorized; alice approving it lets it run.
        let held = try await system.project("ctxhold", config: """
            version: 2.1
            jobs:
              deploy:
                machine: true
                resource_class: gyre/host
                steps:
                  - run: '[ -n "$DEPLOY_KEY" ] && echo DEPLOYED'
            workflows:
              main:
                jobs:
                  - hold:
                      type: approval
                  - deploy:
                      requires: [hold]
                      context: ctx-ops
            """)
        for (approver, expected) in [(bob, "unauthorized"), (alice, "success")] {
            let client = APIClient(base: system.system.apiURL, token: alice)
            let pipeline = try await client.trigger(held)
            let workflow = try #require(try await client.waitForWorkflows(pipeline: pipeline.id).first)
            let (_, jobs) = try await client.waitForWorkflow(workflow.id) { workflow, _ in workflow.status == "on_hold" }
            let hold = try #require(jobs.first { $0.name == "hold" })
            _ = try await APIClient(base: system.system.apiURL, token: approver).approve(workflow: workflow.id, request: hold.id)
            let (_, done) = try await client.waitForWorkflow(workflow.id) { workflow, _ in
                !["on_hold", "running"].contains(workflow.status)
            }
            #expect(done.first { $0.name == "deploy" }?.status == expected, "\(done.map { ($0.name, $0.status) })")
        }

        // A context that does not exist: the job says so and ends unauthorized, its siblings unaffected.
        let missing = try await system.project("ctxmissing", config: config.replacingOccurrences(of: "ctx-ops", with: "ctx-nowhere"))
        let pipeline = try await system.client.trigger(missing)
        let outcome = try await system.client.wait(for: pipeline.id)
        let job = try #require(outcome.workflows.first?.jobs.first)
        let output = try await system.client.steps(missing, job: job.job_number ?? 0).map(\.output).joined()
        #expect(job.status == "unauthorized" && output.contains("context ctx-nowhere does not exist"), "\(job.status) \(output)")
    }
}
}
