#!/usr/bin/env bash
# Stops the servers start-infra.sh started (PostgreSQL, Redis, RabbitMQ,
# dockerd). Tolerant of servers that are already stopped. Data under $GYRE_HOME
# is kept, so the next start-infra.sh run is fast.
# Usage: deploy/scripts/stop-infra.sh [--no-docker]
set -euo pipefail

LOG_TAG=stop-infra
# shellcheck source=deploy/scripts/infra-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra-common.sh"

WITH_DOCKER=1
for arg in "$@"; do
  case "$arg" in
    --no-docker) WITH_DOCKER=0 ;;
    *) die "unknown argument: $arg (expected --no-docker)" ;;
  esac
done

# PostgreSQL: only our cluster (a reused system cluster is left alone).
# readlink -f: the dir may be a symlink to /var/lib/gyre (see service_dir).
pg_data="$(readlink -f "$GYRE_HOME/postgres" || echo "$GYRE_HOME/postgres")/data"
if [[ -f "$pg_data/postmaster.pid" ]]; then
  as_user postgres "$(pg_bin_dir)/pg_ctl" -D "$pg_data" -m fast -w -t "$GYRE_WAIT_SECONDS" stop >/dev/null \
    && log "postgres stopped" || warn "pg_ctl stop failed; read ${pg_data%/data}/postgres.log"
else
  log "postgres: not running from $pg_data"
fi

# Redis
if redis_ping; then redis_stop; else log "redis: not running"; fi

# RabbitMQ: only our node; rabbitmqctl stop waits until the VM has exited.
rmq_dir="$(readlink -f "$GYRE_HOME/rabbitmq" || echo "$GYRE_HOME/rabbitmq")"
if [[ -d "$rmq_dir" ]] && rabbitmq_run "$rmq_dir" rabbitmq-diagnostics -q -n "$GYRE_RABBITMQ_NODENAME" ping >/dev/null 2>&1; then
  rabbitmq_run "$rmq_dir" rabbitmqctl -q -n "$GYRE_RABBITMQ_NODENAME" stop "$rmq_dir/rabbitmq.pid" >/dev/null \
    && log "rabbitmq stopped" || warn "rabbitmqctl stop failed; read $rmq_dir/log/"
else
  log "rabbitmq: node $GYRE_RABBITMQ_NODENAME not running"
fi

# epmd (started implicitly by the Erlang VM): stop it only if no node is left.
if command -v epmd >/dev/null 2>&1 && ERL_EPMD_ADDRESS=127.0.0.1 epmd -names >/dev/null 2>&1 \
   && [[ -z "$(ERL_EPMD_ADDRESS=127.0.0.1 epmd -names 2>/dev/null | grep '^name ' || true)" ]]; then
  ERL_EPMD_ADDRESS=127.0.0.1 epmd -kill >/dev/null 2>&1 && log "epmd stopped (no Erlang nodes left)" || true
fi

# dockerd: only the one we started (pidfile); a system dockerd is left alone.
if (( WITH_DOCKER )); then
  pidf="$DOCKER_DIR/dockerd.pid"
  if [[ -f "$pidf" ]] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    pid=$(cat "$pidf")
    kill "$pid"
    wait_until "$GYRE_WAIT_SECONDS" dockerd bash -c "! kill -0 $pid" \
      && log "dockerd stopped" || warn "dockerd (pid $pid) still running; read $DOCKER_DIR/dockerd.log"
  else
    log "dockerd: not started by us (no live $pidf)"
  fi
fi
