#!/usr/bin/env bash
# Stops or starts only the Redis server of the dev/test infrastructure, with the
# same settings as start-infra.sh. The test suite uses it to prove that health
# checks report 500 while Redis is down and 200 again once it is back.
#   start: returns once `redis-cli ping` answers PONG
#   stop:  returns once nothing listens on the port any more
# Env: GYRE_HOME, GYRE_REDIS_PORT (6379), GYRE_WAIT_SECONDS (60)
set -euo pipefail

LOG_TAG=redis
# shellcheck source=deploy/scripts/infra-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/infra-common.sh"

case "${1:-}" in
  start)  redis_start ;;
  stop)   redis_stop ;;
  status) if redis_ping; then log "up on 127.0.0.1:$GYRE_REDIS_PORT"; else log "down"; exit 1; fi ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
