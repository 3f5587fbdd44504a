#!/usr/bin/env bash
# The benchmark (not a test): builds release binaries, starts the system on
# them and prints latency, throughput, CPU per job and memory figures.
# Extra arguments go to `gyre bench` (see `gyre bench --help`).
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GYRE_HOME="${GYRE_HOME:-$REPO/.run}"
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
bash "$REPO/deploy/scripts/install-deps.sh"
bash "$REPO/deploy/scripts/start-infra.sh"
bash "$REPO/deploy/images/build-base-image.sh"
cd "$REPO"
swift build -c release
BIN="$REPO/.build/release"
"$BIN/gyre" local down --run-dir "$GYRE_HOME" >/dev/null 2>&1 || true
"$BIN/gyre" local up --run-dir "$GYRE_HOME" --bin-dir "$BIN" --capacity 20
sleep 2
"$BIN/gyre" bench --run-dir "$GYRE_HOME" --bin-dir "$BIN" "$@"
