#!/usr/bin/env bash
# Starts the servers Gyre needs (PostgreSQL, Redis, RabbitMQ, dockerd) as plain
# background processes on 127.0.0.1, because init systems may not run here
# (containers, CI sandboxes with policy-rc.d). Idempotent: servers that already
# answer are reused, so a second run takes a second or two.
#
# State and logs: ${GYRE_HOME:-<repo>/.run}/{postgres,redis,rabbitmq,docker}
# Output:         $GYRE_HOME/infra.env (GYRE_POSTGRES_URL, GYRE_REDIS_URL, GYRE_AMQP_URL)
#
# Usage: deploy/scripts/start-infra.sh [--no-docker]
# Env:   GYRE_HOME GYRE_PG_PORT(5432) GYRE_REDIS_PORT(6379) GYRE_AMQP_PORT(5672)
#        GYRE_WAIT_SECONDS(60) GYRE_RABBITMQ_NODENAME(rabbit@localhost)
set -euo pipefail

LOG_TAG=start-infra
# shellcheck source=deploy/scripts/infra-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra-common.sh"

WITH_DOCKER=1
for arg in "$@"; do
  case "$arg" in
    --no-docker) WITH_DOCKER=0 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) die "unknown argument: $arg (expected --no-docker)" ;;
  esac
done

T0=$(date +%s)
declare -A STATUS=()

# ----------------------------------------------------------- PostgreSQL --
start_postgres() {
  local bin pg_dir data logf sock
  bin=$(pg_bin_dir)
  pg_dir=$(service_dir postgres postgres)
  data="$pg_dir/data"
  logf="$pg_dir/postgres.log"
  sock="$pg_dir/socket"

  if pg_isready_tcp; then
    STATUS[postgres]="reused (already answering on 127.0.0.1:$GYRE_PG_PORT)"
  else
    if port_open "$GYRE_PG_PORT"; then
      die "port $GYRE_PG_PORT is taken by something that does not answer pg_isready (see: ss -ltnp 'sport = :$GYRE_PG_PORT'); set GYRE_PG_PORT to another port"
    fi
    if [[ ! -s "$data/PG_VERSION" ]]; then
      log "postgres: creating cluster in $data"
      rm -rf "$data"
      mkdir -p "$data"
      is_root && chown postgres: "$data"
      chmod 700 "$data"
      # initdb refuses to run as root, hence as_user postgres.
      as_user postgres "$bin/initdb" -D "$data" -U postgres -E UTF8 --no-locale \
        --auth-local=trust --auth-host=trust >"$pg_dir/initdb.log" 2>&1 \
        || die "postgres: initdb failed; read $pg_dir/initdb.log"
      echo "include_if_exists = 'gyre.conf'" >>"$data/postgresql.conf"
    fi
    mkdir -p "$sock"
    is_root && chown postgres: "$sock" "$pg_dir"
    # Rewritten on every start so port changes take effect.
    cat >"$data/gyre.conf" <<EOF
# Written by deploy/scripts/start-infra.sh; edits are overwritten.
listen_addresses = '127.0.0.1'
port = $GYRE_PG_PORT
unix_socket_directories = '$sock'
max_connections = 300
fsync = on
EOF
    cat >"$data/pg_hba.conf" <<'EOF'
# Written by deploy/scripts/start-infra.sh: trust on loopback only (dev/test server).
local   all          all                    trust
host    all          all    127.0.0.1/32    trust
local   replication  all                    trust
host    replication  all    127.0.0.1/32    trust
EOF
    is_root && chown postgres: "$data/gyre.conf" "$data/pg_hba.conf"
    # A stale postmaster.pid from a killed server blocks startup; pg_ctl
    # handles that itself when the pid is dead, so no manual cleanup here.
    as_user postgres "$bin/pg_ctl" -D "$data" -l "$logf" -W start >/dev/null \
      || die "postgres: pg_ctl start failed; read $logf"
    wait_until "$GYRE_WAIT_SECONDS" postgres pg_isready_tcp \
      || die "postgres did not answer pg_isready on 127.0.0.1:$GYRE_PG_PORT within ${GYRE_WAIT_SECONDS}s; read $logf"
    STATUS[postgres]="started (data $data, log $logf)"
  fi
  ensure_pg_role_and_db "$bin" "$sock"
}

# Creates role gyre (SUPERUSER so tests can CREATE DATABASE) and database gyre.
# Tries our trust-auth cluster first, then peer auth on a system cluster.
ensure_pg_role_and_db() {
  local bin=$1 sock=$2 psql=()
  if "$bin/psql" -X -q -h 127.0.0.1 -p "$GYRE_PG_PORT" -U postgres -d postgres -c 'select 1' >/dev/null 2>&1; then
    psql=("$bin/psql" -h 127.0.0.1 -p "$GYRE_PG_PORT" -U postgres -d postgres)
  elif is_root && runuser -u postgres -- "$bin/psql" -X -q -p "$GYRE_PG_PORT" -d postgres -c 'select 1' >/dev/null 2>&1; then
    psql=(runuser -u postgres -- "$bin/psql" -p "$GYRE_PG_PORT" -d postgres)
  elif PGPASSWORD=gyre "$bin/psql" -X -q -h 127.0.0.1 -p "$GYRE_PG_PORT" -U gyre -d gyre -c 'select 1' >/dev/null 2>&1; then
    STATUS[postgres]+="; role/db gyre reachable (no admin access to check SUPERUSER)"
    return 0
  else
    die "postgres on 127.0.0.1:$GYRE_PG_PORT answers but neither postgres (trust/peer) nor gyre/gyre can log in"
  fi
  "${psql[@]}" -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || die "postgres: could not create role/database gyre"
DO $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'gyre') THEN
    CREATE ROLE gyre LOGIN SUPERUSER PASSWORD 'gyre';
  ELSE
    ALTER ROLE gyre LOGIN SUPERUSER PASSWORD 'gyre';
  END IF;
END $$;
SELECT 'CREATE DATABASE gyre OWNER gyre'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'gyre') \gexec
SQL
  local maxc
  maxc=$("${psql[@]}" -X -A -t -c 'show max_connections' 2>/dev/null || echo '?')
  if [[ "$maxc" =~ ^[0-9]+$ ]] && (( maxc < 300 )); then
    warn "postgres on port $GYRE_PG_PORT has max_connections=$maxc (< 300); tests opening many pools may fail"
  fi
}

# ---------------------------------------------------------------- Redis --
start_redis() {
  if redis_ping; then
    STATUS[redis]="reused (already answering on 127.0.0.1:$GYRE_REDIS_PORT)"
  else
    redis_start
    STATUS[redis]="started (log $REDIS_DIR/redis.log)"
  fi
}

# ------------------------------------------------------------- RabbitMQ --
rabbitmq_ping() {
  rabbitmq_run "$RMQ_DIR" rabbitmq-diagnostics -q -n "$GYRE_RABBITMQ_NODENAME" ping
}

start_rabbitmq() {
  RMQ_DIR=$(service_dir "$RABBITMQ_USER" rabbitmq)
  local logf="$RMQ_DIR/rabbitmq-server.out"
  if port_open "$GYRE_AMQP_PORT"; then
    # Either our node from an earlier run or a system broker: both accept guest
    # from loopback, so reuse whatever is there.
    if rabbitmq_ping >/dev/null 2>&1; then
      STATUS[rabbitmq]="reused (node $GYRE_RABBITMQ_NODENAME on 127.0.0.1:$GYRE_AMQP_PORT)"
    else
      STATUS[rabbitmq]="reused (a broker already listens on 127.0.0.1:$GYRE_AMQP_PORT)"
    fi
    return 0
  fi
  mkdir -p "$RMQ_DIR/mnesia" "$RMQ_DIR/log"
  echo '[].' >"$RMQ_DIR/enabled_plugins"
  cat >"$RMQ_DIR/rabbitmq.conf" <<'EOF'
# Written by deploy/scripts/start-infra.sh. guest/guest is only allowed from loopback.
loopback_users.guest = true
EOF
  is_root && chown -R "$RABBITMQ_USER:" "$RMQ_DIR"
  # The Erlang cookie normally exists after package install; create it if not,
  # so server and CLI agree on it.
  local home; home=$(rabbitmq_home)
  if is_root && [[ ! -s "$home/.erlang.cookie" ]]; then
    mkdir -p "$home"
    head -c 32 /dev/urandom | md5sum | cut -c1-20 | tr a-f A-F >"$home/.erlang.cookie"
    chown "$RABBITMQ_USER:" "$home" "$home/.erlang.cookie"
    chmod 400 "$home/.erlang.cookie"
  fi
  log "rabbitmq: starting node $GYRE_RABBITMQ_NODENAME (log $logf)"
  # setsid + nohup: detached from this shell/CI step; output goes to a file so
  # the caller's pipes are not held open.
  rabbitmq_cmd "$RMQ_DIR" rabbitmq-server
  setsid nohup "${RMQ_CMD[@]}" >"$logf" 2>&1 </dev/null &
  local rmq_pid=$!
  local deadline=$(( $(date +%s) + GYRE_WAIT_SECONDS ))
  local remaining
  # await_startup blocks until the broker has booted (or fails fast if the node is down).
  until rabbitmq_run "$RMQ_DIR" rabbitmqctl -q -n "$GYRE_RABBITMQ_NODENAME" await_startup --timeout 10 >/dev/null 2>&1; do
    kill -0 "$rmq_pid" 2>/dev/null || die "rabbitmq-server exited during startup; read $logf and $RMQ_DIR/log/"
    remaining=$(( deadline - $(date +%s) ))
    (( remaining > 0 )) || die "rabbitmq did not finish booting within ${GYRE_WAIT_SECONDS}s; read $logf and $RMQ_DIR/log/"
    sleep 1
  done
  remaining=$(( deadline - $(date +%s) )); (( remaining > 5 )) || remaining=5
  wait_until "$remaining" rabbitmq port_open "$GYRE_AMQP_PORT" \
    || die "rabbitmq booted but 127.0.0.1:$GYRE_AMQP_PORT does not accept connections; read $RMQ_DIR/log/"
  STATUS[rabbitmq]="started (node $GYRE_RABBITMQ_NODENAME, logs $RMQ_DIR/log/, $logf)"
}

# ---------------------------------------------------------------- Docker --
start_docker() {
  mkdir -p "$DOCKER_DIR"
  if docker_up; then
    STATUS[docker]="reused (docker info works)"
    return 0
  fi
  is_root || die "docker daemon is not running and only root can start dockerd"
  local logf="$DOCKER_DIR/dockerd.log"
  log "docker: starting dockerd (log $logf)"
  # No bridge/iptables: jobs run with --network none or host; never touch host networking.
  setsid nohup dockerd --bridge=none --iptables=false --ip-masq=false \
    --pidfile "$DOCKER_DIR/dockerd.pid" >"$logf" 2>&1 </dev/null &
  wait_until "$GYRE_WAIT_SECONDS" docker docker_up \
    || die "dockerd did not answer 'docker info' within ${GYRE_WAIT_SECONDS}s; read $logf"
  STATUS[docker]="started (log $logf)"
}

start_postgres
start_redis
start_rabbitmq
if (( WITH_DOCKER )); then start_docker; else STATUS[docker]="skipped (--no-docker)"; fi

cat >"$GYRE_HOME/infra.env.tmp" <<EOF
GYRE_POSTGRES_URL=postgres://gyre:gyre@127.0.0.1:$GYRE_PG_PORT/gyre
GYRE_REDIS_URL=redis://127.0.0.1:$GYRE_REDIS_PORT/0
GYRE_AMQP_URL=amqp://guest:guest@127.0.0.1:$GYRE_AMQP_PORT/
EOF
mv "$GYRE_HOME/infra.env.tmp" "$GYRE_HOME/infra.env"

for s in postgres redis rabbitmq docker; do
  printf '[start-infra] %-9s %s\n' "$s:" "${STATUS[$s]}"
done
log "ready in $(( $(date +%s) - T0 ))s; wrote $GYRE_HOME/infra.env"
