#!/usr/bin/env bash
# Stops the Gyre services (gracefully), then Postgres, Redis, RabbitMQ and dockerd.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GYRE_HOME="${GYRE_HOME:-$REPO/.run}"
if [[ -x "$REPO/.build/debug/gyre" ]]; then
  "$REPO/.build/debug/gyre" local down --run-dir "$GYRE_HOME" || true
fi
bash "$REPO/deploy/scripts/stop-infra.sh"
