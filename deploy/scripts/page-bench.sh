#!/usr/bin/env bash
# Page-load figures (a benchmark, not a test): builds release binaries, starts
# a system of its own (its own database, queue namespace, ports and run
# directory, so it disturbs no other installation on this machine), puts N
# pipelines (default 1000) into one project through the API, and times every
# web UI page over HTTP (median, p95, max). Stops the system afterwards.
#   bash deploy/scripts/page-bench.sh [N] [more `gyre bench` arguments, e.g. --page-samples 50]
# Env: GYRE_PAGE_BENCH_PORT_BASE (23000), GYRE_PAGE_BENCH_NAMESPACE (pagebench), GYRE_PAGE_BENCH_SKIP_BUILD=1
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GYRE_HOME="${GYRE_HOME:-$REPO/.run}"
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
PIPELINES="${1:-1000}"
[[ $# -gt 0 ]] && shift
NAMESPACE="${GYRE_PAGE_BENCH_NAMESPACE:-pagebench}"
PORT_BASE="${GYRE_PAGE_BENCH_PORT_BASE:-23000}"
RUN="$GYRE_HOME/page-bench"
DATABASE="gyre_page_bench"

bash "$REPO/deploy/scripts/start-infra.sh"
set -a
# shellcheck source=/dev/null
source "$GYRE_HOME/infra.env"
set +a
cd "$REPO"
[[ "${GYRE_PAGE_BENCH_SKIP_BUILD:-}" == 1 ]] || swift build -c release
BIN="$REPO/.build/release"

# A fresh database of its own: the figures are for exactly N pipelines.
ADMIN_URL="$GYRE_POSTGRES_URL"
psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" -c "CREATE DATABASE $DATABASE"
export GYRE_POSTGRES_URL="${ADMIN_URL%/*}/$DATABASE"
rm -rf "$RUN"
mkdir -p "$RUN"
options=(--run-dir "$RUN" --bin-dir "$BIN" --port-base "$PORT_BASE" --namespace "$NAMESPACE")
stop() {
  "$BIN/gyre" local down "${options[@]}" >/dev/null 2>&1 || true
  psql "$ADMIN_URL" -q -c "DROP DATABASE IF EXISTS $DATABASE WITH (FORCE)" >/dev/null 2>&1 || true
}
trap stop EXIT
"$BIN/gyre" local up "${options[@]}" --capacity 20
"$BIN/gyre" bench "${options[@]}" --latency-pipelines 0 --fan-pipelines 0 --throughput-pipelines 0 --ingest-mb 0 \
  --page-pipelines "$PIPELINES" "$@"
