#!/usr/bin/env bash
# Developer shortcut: run already-built tests against the running infrastructure
# without taking SwiftPM's build lock (so several people can build and test at once).
#   bash deploy/scripts/dev-test.sh 'EndToEnd/PipelineTests'     # a filter (regex on test ids)
# Build first with `swift build --build-tests`. Needs `deploy/scripts/start-infra.sh` to have run.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GYRE_HOME="${GYRE_HOME:-$REPO/.run}"
set -a
# shellcheck disable=SC1091
source "$GYRE_HOME/infra.env"
set +a
export GYRE_TEST_POSTGRES_URL="$GYRE_POSTGRES_URL"
export GYRE_TEST_REDIS_URL="$GYRE_REDIS_URL"
export GYRE_TEST_AMQP_URL="$GYRE_AMQP_URL"
export GYRE_JOB_IMAGE=gyre/base:bookworm
export GYRE_REPO_ROOT="$REPO"
BIN="${GYRE_BIN_DIR:-$REPO/.build/debug}"
export GYRE_BIN_DIR="$BIN"
args=(--testing-library swift-testing)
[[ $# -gt 0 ]] && args+=(--filter "$1")
exec "$BIN/gyrePackageTests.xctest" "${args[@]}"
