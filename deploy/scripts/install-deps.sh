#!/usr/bin/env bash
# Installs the Debian packages Gyre's infrastructure and build need.
# Idempotent and fast when everything is present: only missing packages are
# installed, and `apt-get update` runs only when something must be installed.
# Post-install service starts may be denied (policy-rc.d in containers/sandboxes);
# that is fine because deploy/scripts/start-infra.sh starts servers by hand.
set -euo pipefail

PACKAGES=(
  postgresql redis-server rabbitmq-server   # stores used by the services and tests
  docker.io docker-compose                  # job containers (build-agent) + compose file
  librabbitmq-dev libhiredis-dev pkg-config # C libraries linked by the Swift packages
  debootstrap                               # builds the local job image gyre/base:bookworm
  slapd ldap-utils libldap-dev openssl      # LDAP sign-in: the client library, and a throwaway directory for tests
  git curl ca-certificates procps iproute2  # tools used by scripts and tests (git checkouts, pg/redis probes, ss)
  chromium chromium-driver python3-venv     # browser tests: headless Chromium driven by Selenium (deploy/scripts/browser-env.sh)
)

log() { printf '[install-deps] %s\n' "$*"; }

# dpkg -s exits 0 for removed-but-configured packages too, so check the status.
is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
  is_installed "$p" || missing+=("$p")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  log "all ${#PACKAGES[@]} packages already installed"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    log "ERROR: missing packages (${missing[*]}) and not running as root (no sudo either)" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
# Debian's slapd would configure and start a directory of its own; Gyre's scripts
# run their own slapd (deploy/scripts/start-slapd.sh), so skip that.
if [[ " ${missing[*]} " == *" slapd "* ]]; then
  echo "slapd slapd/no_configuration boolean true" | "${SUDO[@]}" debconf-set-selections
fi
log "installing: ${missing[*]}"
start=$(date +%s)
"${SUDO[@]}" apt-get update -q
# Recommends are kept on purpose (cgroupfs-mount for dockerd, gnupg/arch-test for
# debootstrap). NEEDRESTART_* stop needrestart from restarting services or prompting;
# --force-conf* keep existing config files without asking.
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l NEEDRESTART_SUSPEND=1 \
  apt-get install -y -q \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
  "${missing[@]}"

# Double-check: a denied service start must not leave a package half-configured.
still=()
for p in "${missing[@]}"; do is_installed "$p" || still+=("$p"); done
if [[ ${#still[@]} -gt 0 ]]; then
  log "ERROR: still not installed after apt-get: ${still[*]}" >&2
  exit 1
fi
log "done in $(( $(date +%s) - start ))s"
