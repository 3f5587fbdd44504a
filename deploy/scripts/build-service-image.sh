#!/usr/bin/env bash
# Builds gyre/services:latest (deploy/Dockerfile) for docker-compose.yml:
# release-builds the Swift executables, stages only what the image needs into a
# temporary build context (the repo's .build is gigabytes), then docker builds.
#
# Usage: deploy/scripts/build-service-image.sh [--no-build]
#   --no-build  reuse existing release binaries (skip `swift build -c release`)
# Env:   GYRE_SERVICE_BIN_DIR  where the release executables are (default <repo>/.build/release)
#        GYRE_SERVICES_IMAGE   tag (default gyre/services:latest)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IMAGE="${GYRE_SERVICES_IMAGE:-gyre/services:latest}"
SWIFT_LIB_DIR="${GYRE_SWIFT_LIB_DIR:-/opt/swift/usr/lib/swift/linux}"
BIN_DIR="${GYRE_SERVICE_BIN_DIR:-$REPO/.build/release}"
DO_BUILD=1
[[ "${1:-}" == "--no-build" ]] && DO_BUILD=0

log() { printf '[service-image] %s\n' "$*"; }
die() { printf '[service-image] ERROR: %s\n' "$*" >&2; exit 1; }

command -v swift >/dev/null 2>&1 || export PATH="/opt/swift/usr/bin:$PATH"
T0=$(date +%s)

# The job image is the base of the services image.
bash "$REPO/deploy/images/build-base-image.sh"

if (( DO_BUILD )); then
  log "swift build -c release"
  (cd "$REPO" && swift build -c release)
fi

# Executables = one per Services/<dir> (see Package.swift's serviceNames + gyre).
names=()
for d in "$REPO"/Services/*/; do names+=("$(basename "$d")"); done
[[ ${#names[@]} -gt 0 ]] || die "no Services/* directories found"

CTX=$(mktemp -d /var/tmp/gyre-service-ctx.XXXXXX)
trap 'rm -rf "$CTX"' EXIT
mkdir -p "$CTX/.build/release" "$CTX/swift-lib"
for n in "${names[@]}"; do
  [[ -x "$BIN_DIR/$n" ]] || die "missing executable $BIN_DIR/$n (build with: swift build -c release)"
  cp "$BIN_DIR/$n" "$CTX/.build/release/"
done
# Runtime libraries only; the test frameworks are not needed in the image.
for so in "$SWIFT_LIB_DIR"/*.so; do
  case "$(basename "$so")" in
    libXCTest.so|libTesting.so|lib_Testing*.so|lib_TestingInterop.so) continue ;;
  esac
  cp -L "$so" "$CTX/swift-lib/"
done
cp "$REPO/deploy/Dockerfile" "$CTX/Dockerfile"
log "context staged in $CTX ($(du -sh "$CTX" | cut -f1)): ${names[*]}"

# Classic builder: works with the Debian dockerd and needs no buildx plugin.
# --network host: the daemon runs without a bridge, apt needs the host network.
DOCKER_BUILDKIT=0 docker build --network host -t "$IMAGE" "$CTX"
log "built $IMAGE in $(( $(date +%s) - T0 ))s"
