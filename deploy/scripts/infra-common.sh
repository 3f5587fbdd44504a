# shellcheck shell=bash
# Shared settings and helpers for start-infra.sh, stop-infra.sh and redis.sh.
# Sourced, not executed. Everything lives under $GYRE_HOME (default <repo>/.run,
# which is gitignored) so a checkout never touches the system-wide server data.

GYRE_REPO_ROOT="${GYRE_REPO_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
GYRE_HOME="${GYRE_HOME:-$GYRE_REPO_ROOT/.run}"
GYRE_PG_PORT="${GYRE_PG_PORT:-5432}"
GYRE_REDIS_PORT="${GYRE_REDIS_PORT:-6379}"
GYRE_AMQP_PORT="${GYRE_AMQP_PORT:-5672}"
GYRE_WAIT_SECONDS="${GYRE_WAIT_SECONDS:-60}"
# A fixed node name keeps RabbitMQ independent of whether `hostname` resolves
# (Erlang refuses to start when the host part of the node name does not resolve).
GYRE_RABBITMQ_NODENAME="${GYRE_RABBITMQ_NODENAME:-rabbit@localhost}"

REDIS_DIR="$GYRE_HOME/redis"
DOCKER_DIR="$GYRE_HOME/docker"

mkdir -p "$GYRE_HOME"

log()  { printf '[%s] %s\n' "${LOG_TAG:-infra}" "$*"; }
warn() { printf '[%s] WARNING: %s\n' "${LOG_TAG:-infra}" "$*" >&2; }
die()  { printf '[%s] ERROR: %s\n' "${LOG_TAG:-infra}" "$*" >&2; exit 1; }

is_root() { [[ $(id -u) -eq 0 ]]; }

# True when something accepts TCP connections on 127.0.0.1:$1 (bash /dev/tcp, no nc needed).
port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

port_closed() { ! port_open "$1"; }

# wait_until SECONDS DESCRIPTION COMMAND... : polls COMMAND every 0.5 s.
wait_until() {
  local secs=$1 what=$2; shift 2
  local deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then
      return 1
    fi
    sleep 0.5
  done
}

# Run a command as a system user (servers like postgres refuse to run as root).
as_user() {
  local user=$1; shift
  if is_root; then
    # cd /: the caller's cwd may be unreadable for that user.
    (cd / && runuser -u "$user" -- "$@")
  else
    "$@"
  fi
}

# service_dir USER NAME: a state directory for NAME owned by USER. Normally
# $GYRE_HOME/NAME, but if USER cannot reach $GYRE_HOME (e.g. a checkout under
# /root, mode 700) the real directory goes to /var/lib/gyre/<hash>/NAME and
# $GYRE_HOME/NAME becomes a symlink to it, so logs are still found there.
service_dir() {
  local user=$1 name=$2 dir="$GYRE_HOME/$2"
  if [[ -L "$dir" ]]; then
    dir=$(readlink -f "$dir")
  fi
  mkdir -p "$dir"
  if is_root; then
    chown "$user:" "$dir"
    if ! runuser -u "$user" -- test -w "$dir" 2>/dev/null; then
      local hash alt
      hash=$(printf '%s' "$GYRE_HOME" | md5sum | cut -c1-10)
      alt="/var/lib/gyre/$hash/$name"
      mkdir -p "$alt"
      chmod 755 /var/lib/gyre "/var/lib/gyre/$hash"
      chown "$user:" "$alt"
      rmdir "$dir" 2>/dev/null || true
      [[ -e "$GYRE_HOME/$name" ]] || ln -s "$alt" "$GYRE_HOME/$name"
      dir="$alt"
    fi
  fi
  printf '%s\n' "$dir"
}

# ---------------------------------------------------------------- Redis --
redis_ping() {
  [[ "$(redis-cli -h 127.0.0.1 -p "$GYRE_REDIS_PORT" ping 2>/dev/null)" == "PONG" ]]
}

redis_start() {
  mkdir -p "$REDIS_DIR"
  if redis_ping; then
    log "redis already answering on 127.0.0.1:$GYRE_REDIS_PORT"
    return 0
  fi
  if port_open "$GYRE_REDIS_PORT"; then
    die "port $GYRE_REDIS_PORT is taken by something that is not Redis (see: ss -ltnp 'sport = :$GYRE_REDIS_PORT')"
  fi
  # No persistence: the tests treat Redis as a cache/queue that may vanish.
  redis-server --bind 127.0.0.1 --port "$GYRE_REDIS_PORT" \
    --daemonize yes --save '' --appendonly no \
    --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" \
    || die "redis-server failed to start; read $REDIS_DIR/redis.log"
  wait_until "$GYRE_WAIT_SECONDS" "redis" redis_ping \
    || die "redis did not answer PING on 127.0.0.1:$GYRE_REDIS_PORT within ${GYRE_WAIT_SECONDS}s; read $REDIS_DIR/redis.log"
  log "redis started on 127.0.0.1:$GYRE_REDIS_PORT"
}

redis_stop() {
  if port_closed "$GYRE_REDIS_PORT"; then
    rm -f "$REDIS_DIR/redis.pid"
    log "redis already stopped (port $GYRE_REDIS_PORT closed)"
    return 0
  fi
  if redis_ping; then
    redis-cli -h 127.0.0.1 -p "$GYRE_REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  elif [[ -f "$REDIS_DIR/redis.pid" ]]; then
    kill "$(cat "$REDIS_DIR/redis.pid")" 2>/dev/null || true
  fi
  wait_until "$GYRE_WAIT_SECONDS" "redis stop" port_closed "$GYRE_REDIS_PORT" \
    || die "redis still listening on 127.0.0.1:$GYRE_REDIS_PORT after ${GYRE_WAIT_SECONDS}s; read $REDIS_DIR/redis.log"
  rm -f "$REDIS_DIR/redis.pid"
  log "redis stopped (port $GYRE_REDIS_PORT closed)"
}

# ----------------------------------------------------------- PostgreSQL --
# Newest installed major version (Debian 12 ships 15) unless GYRE_PG_BIN is set.
pg_bin_dir() {
  if [[ -n "${GYRE_PG_BIN:-}" ]]; then printf '%s\n' "$GYRE_PG_BIN"; return; fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)
  [[ -n "$d" && -x "$d/initdb" ]] || die "no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (run deploy/scripts/install-deps.sh)"
  printf '%s\n' "$d"
}

pg_isready_tcp() {
  "$(pg_bin_dir)/pg_isready" -q -h 127.0.0.1 -p "$GYRE_PG_PORT" -t 2
}

# ------------------------------------------------------------- RabbitMQ --
RABBITMQ_USER=rabbitmq
# The rabbitmq user's home holds the Erlang cookie shared by server and CLI, so
# `rabbitmqctl -n rabbit@localhost ...` also works by hand.
rabbitmq_home() { getent passwd "$RABBITMQ_USER" | cut -d: -f6; }

# rabbitmq_cmd DIR TOOL: sets the array RMQ_CMD to run /usr/lib/rabbitmq/bin/TOOL
# as the rabbitmq user with our environment (the /usr/sbin wrappers would
# redirect output to /var/log/rabbitmq and cd to /var/lib/rabbitmq).
rabbitmq_cmd() {
  local dir=$1 tool=$2
  RMQ_CMD=()
  is_root && RMQ_CMD=(runuser -u "$RABBITMQ_USER" --)
  RMQ_CMD+=(env -C "$dir"
    HOME="$(rabbitmq_home)"
    RABBITMQ_NODENAME="$GYRE_RABBITMQ_NODENAME"
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
    RABBITMQ_NODE_PORT="$GYRE_AMQP_PORT"
    RABBITMQ_MNESIA_BASE="$dir/mnesia"
    RABBITMQ_LOG_BASE="$dir/log"
    RABBITMQ_PID_FILE="$dir/rabbitmq.pid"
    # Our own (empty) plugin list: no management plugin, fast startup.
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf"
    # Keep epmd and Erlang distribution on loopback too.
    ERL_EPMD_ADDRESS=127.0.0.1
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
    "/usr/lib/rabbitmq/bin/$tool")
}

# rabbitmq_run DIR TOOL ARGS...
rabbitmq_run() {
  rabbitmq_cmd "$1" "$2"; shift 2
  "${RMQ_CMD[@]}" "$@"
}

# ---------------------------------------------------------------- Docker --
docker_up() { docker info >/dev/null 2>&1; }
