#!/usr/bin/env bash
# Stops the slapd that start-slapd.sh started (found by its pid file). Tolerant
# of one that is already stopped. Data, certificates and passwords under
# $GYRE_HOME/slapd are kept, so the next start is fast; delete that directory
# for a fresh directory tree.
# Usage: deploy/scripts/stop-slapd.sh
set -euo pipefail

LOG_TAG=stop-slapd
# shellcheck source=deploy/scripts/infra-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra-common.sh"

GYRE_LDAP_PORT="${GYRE_LDAP_PORT:-3890}"
DIR="$GYRE_HOME/slapd"
PIDFILE="$DIR/slapd.pid"

if [[ ! -s "$PIDFILE" ]] || ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  rm -f "$PIDFILE"
  log "slapd: not running from $DIR"
  exit 0
fi
pid=$(cat "$PIDFILE")
kill "$pid"
wait_until "${GYRE_SLAPD_WAIT_SECONDS:-15}" slapd bash -c "! kill -0 $pid" \
  || die "slapd (pid $pid) still running; read $DIR/slapd.log"
rm -f "$PIDFILE"
log "slapd stopped (pid $pid)"
