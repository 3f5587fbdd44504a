#!/usr/bin/env bash
# Prepares the browser tests (Tests/Browser): a Python virtualenv at
# $GYRE_HOME/browser-venv with Selenium from PyPI. Chromium and its driver come
# from Debian (chromium, chromium-driver and python3-venv: deploy/scripts/install-deps.sh).
# Idempotent and fast when everything is present (one import check, no network);
# prints one `[browser-env] ...` line on success, pip's output only on failure.
#
# Usage: deploy/scripts/browser-env.sh
# Env:   GYRE_HOME (default <repo>/.run)
#        GYRE_BROWSER_PYTHON (default /usr/bin/python3, Debian's: python3-venv serves it)
# Then:  "$GYRE_HOME/browser-venv/bin/python" Tests/Browser/ui_test.py --help
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export GYRE_HOME="${GYRE_HOME:-$REPO/.run}"
VENV="$GYRE_HOME/browser-venv"
PY="${GYRE_BROWSER_PYTHON:-/usr/bin/python3}"
# Pinned so every machine runs the same client; bumping it reinstalls on the next run.
SELENIUM_VERSION=4.51.0
CHROMIUM=/usr/bin/chromium
CHROMEDRIVER=/usr/bin/chromedriver

log() { printf '[browser-env] %s\n' "$*"; }
die() { printf '[browser-env] ERROR: %s\n' "$*" >&2; exit 1; }

case "${1:-}" in
  "") ;;
  -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
  *) die "unknown argument: $1 (this script takes none)" ;;
esac

for f in "$CHROMIUM" "$CHROMEDRIVER"; do
  [[ -x "$f" ]] || die "$f not found: run deploy/scripts/install-deps.sh (packages chromium, chromium-driver)"
done

ready() {
  [[ -x "$VENV/bin/python" ]] &&
    "$VENV/bin/python" -c "import sys, selenium; from selenium.webdriver import Chrome, ChromeOptions, ChromeService; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" >/dev/null 2>&1
}

if ready; then
  log "selenium $SELENIUM_VERSION ready in $VENV"
  exit 0
fi

mkdir -p "$GYRE_HOME"
# Two runs at once (CI and a developer) must not build the same venv together.
exec 9>"$GYRE_HOME/browser-venv.lock"
flock 9
if ready; then
  log "selenium $SELENIUM_VERSION ready in $VENV"
  exit 0
fi

start=$(date +%s)
out="$GYRE_HOME/browser-env.log"
: >"$out"
# A venv whose interpreter is gone or broken (e.g. Python upgraded) is made anew.
if ! "$VENV/bin/python" -c 'import pip' >/dev/null 2>&1; then
  [[ -x "$PY" ]] || die "$PY not found (GYRE_BROWSER_PYTHON)"
  if ! "$PY" -m venv --clear "$VENV" >>"$out" 2>&1; then
    cat "$out" >&2
    die "could not create $VENV with $PY (is python3-venv installed? deploy/scripts/install-deps.sh)"
  fi
fi
pip_install() {
  if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input "$@" \
      "selenium==$SELENIUM_VERSION" >>"$out" 2>&1; then
    cat "$out" >&2
    die "pip install selenium==$SELENIUM_VERSION failed (output above, also in $out)"
  fi
}
pip_install
# A dependency whose files went missing while its metadata stayed: reinstall all.
ready || pip_install --force-reinstall
ready || die "selenium $SELENIUM_VERSION still not importable from $VENV/bin/python (see $out)"
log "selenium $SELENIUM_VERSION installed in $VENV in $(( $(date +%s) - start ))s"
