import Logging
import PostgresNIO

/// The schema, as an append-only list. Every service that uses Postgres runs
/// `migrate()` at start; a transaction-scoped advisory lock makes concurrent
/// runs (replicas starting together) safe.
public enum Migrations {
    static let lockKey: Int64 = 0x6779_7265 // "gyre"

    static let steps: [String] = [
        """
        CREATE TABLE projects (
            slug text PRIMARY KEY,
            vcs_url text NOT NULL,
            webhook_secret text,
            next_pipeline_number int NOT NULL DEFAULT 1,
            next_job_number int NOT NULL DEFAULT 1,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE pipelines (
            id uuid PRIMARY KEY,
            project_slug text NOT NULL REFERENCES projects(slug),
            number int NOT NULL,
            state text NOT NULL,
            branch text,
            tag text,
            revision text,
            vcs_url text NOT NULL,
            trigger_type text NOT NULL,
            trigger_parameters jsonb NOT NULL DEFAULT '{}',
            errors jsonb NOT NULL DEFAULT '[]',
            actor text NOT NULL DEFAULT 'api',
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (project_slug, number)
        );
        CREATE TABLE workflows (
            id uuid PRIMARY KEY,
            pipeline_id uuid NOT NULL REFERENCES pipelines(id),
            name text NOT NULL,
            position int NOT NULL,
            status text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            stopped_at timestamptz
        );
        CREATE INDEX workflows_pipeline ON workflows (pipeline_id);
        CREATE TABLE jobs (
            id uuid PRIMARY KEY,
            workflow_id uuid NOT NULL REFERENCES workflows(id),
            pipeline_id uuid NOT NULL,
            project_slug text NOT NULL,
            number int NOT NULL,
            name text NOT NULL,
            position int NOT NULL,
            requires jsonb NOT NULL,
            status text NOT NULL,
            capability text NOT NULL,
            plan jsonb NOT NULL,
            agent_id uuid,
            attempt int NOT NULL DEFAULT 0,
            message text,
            created_at timestamptz NOT NULL DEFAULT now(),
            queued_at timestamptz,
            assigned_at timestamptz,
            started_at timestamptz,
            stopped_at timestamptz,
            UNIQUE (project_slug, number)
        );
        CREATE INDEX jobs_workflow ON jobs (workflow_id);
        CREATE INDEX jobs_waiting ON jobs (queued_at) WHERE status = 'queued' AND agent_id IS NULL;
        CREATE INDEX jobs_agent ON jobs (agent_id) WHERE agent_id IS NOT NULL;
        CREATE TABLE steps (
            job_id uuid NOT NULL,
            attempt int NOT NULL,
            idx int NOT NULL,
            name text NOT NULL,
            kind text NOT NULL,
            status text NOT NULL,
            exit_code int,
            bytes bigint NOT NULL DEFAULT 0,
            started_at timestamptz,
            stopped_at timestamptz,
            PRIMARY KEY (job_id, attempt, idx)
        );
        CREATE TABLE agents (
            id uuid PRIMARY KEY,
            name text NOT NULL,
            capabilities jsonb NOT NULL,
            capacity int NOT NULL,
            accepting bool NOT NULL,
            running jsonb NOT NULL DEFAULT '[]',
            last_seen timestamptz NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE outbox (
            id bigserial PRIMARY KEY,
            message_id uuid NOT NULL,
            routing_key text NOT NULL,
            type text NOT NULL,
            body text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        """,
        // 2: workflow control (approval, cancel, rerun, parallel runs, filters, contexts, project settings).
        // Issue 3 reserved one slot per area so that work on each can proceed side by side; a slot's
        // owner replaces its placeholder. After a release, never edit an applied step: append.
        """
        ALTER TABLE projects ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
        ALTER TABLE pipelines ADD COLUMN trigger_source text NOT NULL DEFAULT 'api';
        ALTER TABLE pipelines ADD COLUMN scheduled_workflow text;
        CREATE INDEX pipelines_branch ON pipelines (project_slug, branch, number);
        ALTER TABLE workflows ADD COLUMN rerun_of uuid;
        ALTER TABLE workflows ADD COLUMN canceled_by text;
        ALTER TABLE jobs ADD COLUMN type text NOT NULL DEFAULT 'build';
        ALTER TABLE jobs ADD COLUMN contexts jsonb NOT NULL DEFAULT '[]';
        ALTER TABLE jobs ADD COLUMN parallelism int NOT NULL DEFAULT 1;
        ALTER TABLE jobs ADD COLUMN parent_id uuid REFERENCES jobs(id);
        ALTER TABLE jobs ADD COLUMN node_index int;
        ALTER TABLE jobs ADD COLUMN origin_job_id uuid;
        ALTER TABLE jobs ADD COLUMN approved_by text;
        ALTER TABLE jobs ADD COLUMN approved_at timestamptz;
        ALTER TABLE jobs DROP CONSTRAINT jobs_project_slug_number_key;
        CREATE UNIQUE INDEX jobs_number ON jobs (project_slug, number) WHERE parent_id IS NULL;
        CREATE UNIQUE INDEX jobs_run ON jobs (parent_id, node_index) WHERE parent_id IS NOT NULL;
        CREATE INDEX jobs_active ON jobs (workflow_id) WHERE status IN ('blocked', 'queued', 'running', 'on_hold')
        """,
        // 3: storage (caches, workspace layers, artifacts, test results). Blobs live in the storage
        // directory under the relative `file` of their row; a row is written only after its file is
        // complete, so a crash never leaves half a blob visible. `seq` orders saves and persists.
        """
        CREATE TABLE caches (
            project_slug text NOT NULL,
            key text NOT NULL,
            seq bigserial NOT NULL,
            size bigint NOT NULL,
            file text NOT NULL,
            job_number int,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (project_slug, key)
        );
        CREATE INDEX caches_key_prefix ON caches (project_slug, key text_pattern_ops);
        CREATE TABLE workspace_layers (
            seq bigserial PRIMARY KEY,
            job_id uuid NOT NULL,
            node int NOT NULL,
            step int,
            workflow_id uuid NOT NULL,
            size bigint NOT NULL,
            file text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE UNIQUE INDEX workspace_layers_step ON workspace_layers (job_id, node, step) WHERE step IS NOT NULL;
        CREATE INDEX workspace_layers_job ON workspace_layers (job_id, node, seq);
        CREATE TABLE artifacts (
            job_id uuid NOT NULL,
            node int NOT NULL,
            path text NOT NULL,
            size bigint NOT NULL,
            file text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (job_id, node, path)
        );
        CREATE TABLE test_results (
            seq bigserial PRIMARY KEY,
            job_id uuid NOT NULL,
            node int NOT NULL,
            report text NOT NULL,
            project_slug text NOT NULL,
            classname text NOT NULL,
            name text NOT NULL,
            file text NOT NULL,
            result text NOT NULL,
            run_time double precision NOT NULL,
            message text,
            created_at timestamptz NOT NULL DEFAULT clock_timestamp()
        );
        CREATE INDEX test_results_report ON test_results (job_id, node, report);
        CREATE INDEX test_results_latest ON test_results (project_slug, classname, name, file, seq DESC)
        """,
        // 4: triggers (webhook deliveries, schedules and their ticks, project SSH keys).
        """
        CREATE TABLE webhook_deliveries (
            delivery_id text PRIMARY KEY,
            project_slug text NOT NULL REFERENCES projects(slug),
            event text NOT NULL,
            pipeline_id uuid REFERENCES pipelines(id),
            received_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE schedules (
            project_slug text NOT NULL REFERENCES projects(slug),
            workflow text NOT NULL,
            branch text NOT NULL,
            cron text NOT NULL,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (project_slug, workflow, branch, cron)
        );
        CREATE TABLE schedule_ticks (
            project_slug text NOT NULL,
            workflow text NOT NULL,
            branch text NOT NULL,
            tick timestamptz NOT NULL,
            pipeline_id uuid,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (project_slug, workflow, branch, tick)
        );
        CREATE TABLE project_ssh_keys (
            project_slug text NOT NULL REFERENCES projects(slug),
            fingerprint text NOT NULL,
            fingerprint_sha256 text NOT NULL,
            hostname text NOT NULL DEFAULT '',
            key_type text NOT NULL,
            public_key text NOT NULL,
            private_key text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (project_slug, fingerprint, hostname)
        )
        """,
        // 5: build agents (reserved).
        """
        SELECT 5
        """,
        // 6: job lifecycle: why a superseded attempt's steps were closed.
        """
        ALTER TABLE steps ADD COLUMN message text
        """,
        // 7: serial groups: a job whose requirements are met waits (blocked) until its group is free.
        """
        ALTER TABLE jobs ADD COLUMN serial_group text;
        ALTER TABLE jobs ADD COLUMN serial_waiting_since timestamptz;
        CREATE INDEX jobs_serial_group ON jobs (serial_group) WHERE serial_group IS NOT NULL
        """,
        // 8: imported orbs (every dispatcher replica sees them); dynamic configuration (setup pipelines).
        """
        CREATE TABLE orbs (
            name text NOT NULL,
            version text NOT NULL,
            major int NOT NULL,
            minor int NOT NULL,
            patch int NOT NULL,
            source text NOT NULL,
            sha256 text NOT NULL,
            imported_by text NOT NULL DEFAULT 'api',
            imported_at timestamptz NOT NULL DEFAULT now(),
            seq bigserial NOT NULL,
            PRIMARY KEY (name, version)
        );
        ALTER TABLE pipelines ADD COLUMN continuation_key text;
        ALTER TABLE pipelines ADD COLUMN continued_at timestamptz;
        ALTER TABLE pipelines ADD COLUMN continuation_config text;
        ALTER TABLE pipelines ADD COLUMN continuation_parameters jsonb;
        CREATE UNIQUE INDEX pipelines_continuation_key ON pipelines (continuation_key) WHERE continuation_key IS NOT NULL
        """,
        // 9: a job rerun from failed remembers the run before, whose failed tests `circleci tests run` reruns.
        """
        ALTER TABLE jobs ADD COLUMN previous_run_id uuid
        """,
        // 10: identities: users, API tokens (only a hash is kept), organisations; projects get ids.
        """
        CREATE TABLE users (
            id uuid PRIMARY KEY,
            login text NOT NULL UNIQUE,
            name text NOT NULL DEFAULT '',
            emails jsonb NOT NULL DEFAULT '[]',
            admin boolean NOT NULL DEFAULT false,
            active boolean NOT NULL DEFAULT true,
            password_hash text,
            sign_in_count int NOT NULL DEFAULT 0,
            current_sign_in_at timestamptz,
            last_sign_in_at timestamptz,
            current_sign_in_ip text,
            last_sign_in_ip text,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE TABLE api_tokens (
            id uuid PRIMARY KEY,
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            name text NOT NULL,
            token_hash text NOT NULL UNIQUE,
            project_slug text,
            scope text,
            created_at timestamptz NOT NULL DEFAULT now(),
            revoked_at timestamptz
        );
        CREATE TABLE organizations (
            id uuid PRIMARY KEY,
            slug text NOT NULL UNIQUE,
            name text NOT NULL,
            vcs_type text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now()
        );
        ALTER TABLE projects ADD COLUMN id uuid;
        ALTER TABLE projects ADD COLUMN organization_id uuid;
        UPDATE projects SET id = gen_random_uuid() WHERE id IS NULL
        """,
        // 11: who triggered a pipeline (a user's id; null for webhooks and schedules).
        """
        ALTER TABLE pipelines ADD COLUMN actor_id uuid
        """,
        // 12: the credential an agent uses on the internal storage API for one attempt of a job (SHA-256).
        """
        ALTER TABLE jobs ADD COLUMN agent_token_hash text;
        CREATE INDEX jobs_agent_token ON jobs (agent_token_hash) WHERE agent_token_hash IS NOT NULL
        """,
        // 13: the audit log (stored by the audit-log service). `seq` is the ingestion order; `file_period`
        // names the period file an event was written to (null until then); `audit_files` the files written.
        """
        CREATE TABLE audit_events (
            id uuid PRIMARY KEY,
            seq bigserial NOT NULL,
            action text NOT NULL,
            actor jsonb NOT NULL,
            actor_id text NOT NULL,
            target jsonb NOT NULL,
            target_id text NOT NULL,
            scope jsonb,
            payload jsonb NOT NULL,
            metadata jsonb NOT NULL,
            occurred_at timestamptz NOT NULL,
            version int NOT NULL,
            success boolean NOT NULL,
            request jsonb,
            received_at timestamptz NOT NULL DEFAULT now(),
            file_period timestamptz
        );
        CREATE INDEX audit_events_occurred ON audit_events (occurred_at, id);
        CREATE INDEX audit_events_action ON audit_events (action, occurred_at, id);
        CREATE INDEX audit_events_actor ON audit_events (actor_id, occurred_at, id);
        CREATE INDEX audit_events_target ON audit_events (target_id, occurred_at, id);
        CREATE INDEX audit_events_unfiled ON audit_events (occurred_at, id) WHERE file_period IS NULL;
        CREATE TABLE audit_files (
            period_start timestamptz PRIMARY KEY,
            period_end timestamptz NOT NULL,
            path text NOT NULL,
            events int NOT NULL,
            written_at timestamptz NOT NULL DEFAULT now()
        )
        """,
        // 14: roles, groups, sign-in sessions and sign-in history (identity issue).
        """
        CREATE TABLE org_members (
            organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role text NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (organization_id, user_id)
        );
        CREATE INDEX org_members_user ON org_members (user_id);
        CREATE TABLE project_members (
            project_slug text NOT NULL REFERENCES projects(slug) ON DELETE CASCADE,
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            role text NOT NULL CHECK (role IN ('admin', 'write', 'read')),
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (project_slug, user_id)
        );
        CREATE INDEX project_members_user ON project_members (user_id);
        CREATE TABLE user_groups (
            id uuid PRIMARY KEY,
            organization_id uuid REFERENCES organizations(id) ON DELETE CASCADE,
            name text NOT NULL,
            source text NOT NULL CHECK (source IN ('org', 'ldap')),
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE UNIQUE INDEX user_groups_name ON user_groups (COALESCE(organization_id, '00000000-0000-0000-0000-000000000000'::uuid), source, name);
        CREATE TABLE user_group_members (
            group_id uuid NOT NULL REFERENCES user_groups(id) ON DELETE CASCADE,
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            PRIMARY KEY (group_id, user_id)
        );
        CREATE TABLE sessions (
            id_hash text PRIMARY KEY,
            user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
            csrf_token text NOT NULL,
            ip text,
            created_at timestamptz NOT NULL DEFAULT now(),
            expires_at timestamptz NOT NULL
        );
        CREATE INDEX sessions_user ON sessions (user_id);
        CREATE TABLE sign_ins (
            id bigserial PRIMARY KEY,
            user_id uuid REFERENCES users(id) ON DELETE CASCADE,
            login text NOT NULL,
            method text NOT NULL,
            success boolean NOT NULL,
            ip text,
            at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX sign_ins_at ON sign_ins (at);
        ALTER TABLE users ADD COLUMN source text NOT NULL DEFAULT 'local';
        ALTER TABLE users ADD COLUMN ldap_dn text;
        ALTER TABLE users ADD COLUMN deactivated_at timestamptz;
        ALTER TABLE pipelines ADD COLUMN config_source text
        """,
        // 15: data keys for encryption at rest, each wrapped by the operator's key-encryption key.
        """
        CREATE TABLE data_keys (
            id uuid PRIMARY KEY,
            kek_id text NOT NULL,
            wrapped text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            retired_at timestamptz
        )
        """,
        // 16: contexts (an organisation's named sets of secret variables), their restrictions, and project
        // environment variables. Values are sealed (SecretKeys), never stored in plain text.
        """
        CREATE TABLE contexts (
            id uuid PRIMARY KEY,
            organization_id uuid NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
            name text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (organization_id, name)
        );
        CREATE TABLE context_env_vars (
            context_id uuid NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            name text NOT NULL,
            value text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (context_id, name)
        );
        CREATE TABLE context_restrictions (
            id uuid PRIMARY KEY,
            context_id uuid NOT NULL REFERENCES contexts(id) ON DELETE CASCADE,
            type text NOT NULL CHECK (type IN ('project', 'group', 'expression')),
            value text NOT NULL,
            name text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(),
            UNIQUE (context_id, type, value)
        );
        CREATE TABLE project_env_vars (
            project_slug text NOT NULL REFERENCES projects(slug) ON DELETE CASCADE,
            name text NOT NULL,
            value text NOT NULL,
            created_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (project_slug, name)
        )
        """,
        // 17: a setup pipeline's continuation key is sealed like every secret; continuing finds it by its SHA-256.
        """
        ALTER TABLE pipelines ADD COLUMN continuation_key_hash text;
        UPDATE pipelines SET continuation_key_hash = encode(sha256(convert_to(continuation_key, 'UTF8')), 'hex')
            WHERE continuation_key IS NOT NULL;
        DROP INDEX IF EXISTS pipelines_continuation_key;
        CREATE UNIQUE INDEX pipelines_continuation_key_hash ON pipelines (continuation_key_hash)
            WHERE continuation_key_hash IS NOT NULL
        """,
        // 18: an installation admin's drain of a build agent, kept apart from the agent's own `accepting`.
        """
        ALTER TABLE agents ADD COLUMN drained boolean NOT NULL DEFAULT false
        """,
    ]

    /// Applies the steps not yet applied, in order, in one transaction.
    public static func migrate(_ database: Database) async throws {
        try await database.transaction { connection in
            try await connection.run("SELECT pg_advisory_xact_lock(\(lockKey))", database.logger)
            try await connection.run(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
                database.logger)
            var applied = Set<Int>()
            for try await version in try await connection.run("SELECT version FROM schema_migrations", database.logger).decode(Int.self) {
                applied.insert(version)
            }
            for (index, sql) in steps.enumerated() where !applied.contains(index + 1) {
                database.logger.info("applying migration", metadata: ["version": "\(index + 1)"])
                for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) })
                    where !statement.isEmpty {
                    try await connection.run(PostgresQuery(unsafeSQL: statement), database.logger)
                }
                try await connection.run("INSERT INTO schema_migrations (version) VALUES (\(index + 1))", database.logger)
            }
        }
    }
}
