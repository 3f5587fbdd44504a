#!/usr/bin/env bash
# The project's test command (CI runs it through .ci/run on a fresh clone):
#   1. install missing Debian packages      (deploy/scripts/install-deps.sh)
#   2. start Postgres/Redis/RabbitMQ/dockerd (deploy/scripts/start-infra.sh)
#   3. build the job image gyre/base:bookworm (deploy/images/build-base-image.sh)
#   4. a Python venv with Selenium for the browser tests (deploy/scripts/browser-env.sh)
#   5. swift build --build-tests, then swift test --skip-build "$@"
# Every step is idempotent, so re-running on a prepared machine is quick.
# Extra arguments go to `swift test`, e.g.: bash deploy/scripts/test.sh --filter HealthTests
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GYRE_HOME="${GYRE_HOME:-$REPO/.run}"
T_START=$(date +%s)
T_PHASE=$T_START

phase() {
  local now; now=$(date +%s)
  printf '\n[test.sh %s] (+%ss, total %ss) === %s\n' "$(date '+%H:%M:%S')" \
    "$(( now - T_PHASE ))" "$(( now - T_START ))" "$*"
  T_PHASE=$now
}
trap 'rc=$?; printf "\n[test.sh %s] exit %s after %ss\n" "$(date +%H:%M:%S)" "$rc" "$(( $(date +%s) - T_START ))"' EXIT

# The Swift toolchain lives in /opt/swift on the build machines.
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
command -v swift >/dev/null 2>&1 || { echo "[test.sh] ERROR: swift not found on PATH nor in /opt/swift/usr/bin" >&2; exit 1; }

phase "install dependencies"
bash "$REPO/deploy/scripts/install-deps.sh"

phase "start infrastructure"
bash "$REPO/deploy/scripts/start-infra.sh"
# A throwaway LDAP directory for the LDAP sign-in tests.
bash "$REPO/deploy/scripts/start-slapd.sh"

phase "base job image"
bash "$REPO/deploy/images/build-base-image.sh"

phase "browser test environment"
bash "$REPO/deploy/scripts/browser-env.sh"

# Connection URLs for the services and the test suite.
# shellcheck source=deploy/scripts/test-env.sh
source "$REPO/deploy/scripts/test-env.sh"

cd "$REPO"
# One debug build of everything (services, CLI and tests); the end-to-end
# tests start the service executables from .build/debug.
phase "swift build --build-tests (debug, all products)"
swift build --build-tests

phase "swift test $*"
swift test --skip-build "$@"

phase "done"
