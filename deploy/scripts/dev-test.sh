#!/usr/bin/env bash
# Developer shortcut: run already-built tests against the running infrastructure
# without taking SwiftPM's build lock (so several people can build and test at once).
#   bash deploy/scripts/dev-test.sh 'EndToEnd/PipelineTests'     # a filter (regex on test ids)
# Build first with `swift build --build-tests`. Needs `deploy/scripts/start-infra.sh` to have run.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GYRE_HOME="${GYRE_HOME:-$REPO/.run}"
# shellcheck source=deploy/scripts/test-env.sh
source "$REPO/deploy/scripts/test-env.sh"
BIN="${GYRE_BIN_DIR:-$REPO/.build/debug}"
export GYRE_BIN_DIR="$BIN"
args=(--testing-library swift-testing)
[[ $# -gt 0 ]] && args+=(--filter "$1")
exec "$BIN/gyrePackageTests.xctest" "${args[@]}"
