#!/usr/bin/env bash
# Quick start: installs what is missing, starts Postgres, Redis, RabbitMQ and
# dockerd, builds the job image and the services, starts every service, then
# runs the sample pipeline (deploy/sample) and prints its jobs' logs and status.
# Re-running is safe and fast. Stop everything with deploy/scripts/down.sh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GYRE_HOME="${GYRE_HOME:-$REPO/.run}"
if ! command -v swift >/dev/null 2>&1 && [[ -x /opt/swift/usr/bin/swift ]]; then
  export PATH="/opt/swift/usr/bin:$PATH"
fi
say() { printf '\n[up.sh %s] %s\n' "$(date +%H:%M:%S)" "$*"; }

say "installing missing packages"
bash "$REPO/deploy/scripts/install-deps.sh"
say "starting Postgres, Redis, RabbitMQ and dockerd"
bash "$REPO/deploy/scripts/start-infra.sh"
say "building the job image gyre/base:bookworm (cached after the first time)"
bash "$REPO/deploy/images/build-base-image.sh"

cd "$REPO"
say "building the services (swift build)"
swift build
GYRE="$REPO/.build/debug/gyre"

say "starting the services"
"$GYRE" local down --run-dir "$GYRE_HOME" >/dev/null 2>&1 || true
"$GYRE" local up --run-dir "$GYRE_HOME" --bin-dir "$REPO/.build/debug"
# `local up` made the first user, admin, and an API token for it.
GYRE_TOKEN="$(cat "$GYRE_HOME/admin.token")"
export GYRE_TOKEN

say "creating the sample repository and following it as gh/demo/sample"
SAMPLE="$GYRE_HOME/repos/demo/sample.git"
WORK="$(mktemp -d)"
cp -r "$REPO/deploy/sample/." "$WORK/"
git -C "$WORK" init -q -b main
git -C "$WORK" add -A
git -C "$WORK" -c user.name=Gyre -c user.email=gyre@localhost commit -qm "sample project"
rm -rf "$SAMPLE"
mkdir -p "$(dirname "$SAMPLE")"
git clone -q --bare "$WORK" "$SAMPLE"
rm -rf "$WORK"
"$GYRE" follow gh/demo/sample --api http://127.0.0.1:80

say "running the sample pipeline"
"$GYRE" run gh/demo/sample --branch main --api http://127.0.0.1:80

say "the system keeps running: API at http://127.0.0.1:80 (admin user: admin; API token: export GYRE_TOKEN=\$(cat $GYRE_HOME/admin.token)), logs in $GYRE_HOME/logs; stop it with bash deploy/scripts/down.sh"
say "web UI: http://127.0.0.1:80/ -- sign in as admin with the password in $GYRE_HOME/admin.password; the sample pipeline is at http://127.0.0.1:80/pipelines/gh/demo/sample"
