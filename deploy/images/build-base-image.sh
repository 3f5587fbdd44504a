#!/usr/bin/env bash
# Builds the local job image gyre/base:bookworm without any registry access
# (jobs run in it; nothing can be pulled here). Order of preference:
#   1. image already present            -> exit 0 immediately
#   2. cached rootfs tarball            -> docker import it (seconds)
#   3. debootstrap a minimal bookworm   -> cache the tarball, then import (1-3 min)
# Env: GYRE_IMAGE_CACHE (/var/cache/gyre), GYRE_DEBIAN_MIRROR (default: from apt sources)
set -euo pipefail

IMAGE=gyre/base:bookworm
SUITE=bookworm
CACHE_DIR="${GYRE_IMAGE_CACHE:-/var/cache/gyre}"
TARBALL="$CACHE_DIR/base-$SUITE.tar"
INCLUDE=bash,git,curl,ca-certificates,openssh-client

log() { printf '[base-image] %s\n' "$*"; }
die() { printf '[base-image] ERROR: %s\n' "$*" >&2; exit 1; }

docker info >/dev/null 2>&1 || die "docker daemon not reachable; run deploy/scripts/start-infra.sh first"

if docker image inspect "$IMAGE" >/dev/null 2>&1; then
  log "$IMAGE already present"
  exit 0
fi

T0=$(date +%s)

# The Debian mirror from apt's configuration (deb822 .sources or a classic
# sources.list line for $SUITE), so debootstrap uses the same reachable mirror.
debian_mirror() {
  if [[ -n "${GYRE_DEBIAN_MIRROR:-}" ]]; then echo "$GYRE_DEBIAN_MIRROR"; return; fi
  local f uri
  for f in /etc/apt/sources.list.d/*.sources; do
    [[ -f "$f" ]] || continue
    # First stanza whose Suites include plain "$SUITE" (not -security/-updates only).
    uri=$(awk -v suite="$SUITE" '
      BEGIN { RS=""; FS="\n" }
      {
        u=""; ok=0
        for (i=1; i<=NF; i++) {
          if ($i ~ /^URIs:/)   { sub(/^URIs:[ \t]*/, "", $i); split($i, a, /[ \t]+/); u=a[1] }
          if ($i ~ /^Suites:/) { n=split($i, s, /[ \t]+/); for (j=2; j<=n; j++) if (s[j]==suite) ok=1 }
        }
        if (ok && u != "") { print u; exit }
      }' "$f")
    if [[ -n "$uri" ]]; then echo "$uri"; return; fi
  done
  uri=$(grep -hsE "^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?[a-z]+://[^[:space:]]+[[:space:]]+$SUITE[[:space:]]" \
          /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
        | sed -E 's/^deb[[:space:]]+(\[[^]]*\][[:space:]]+)?//' | awk '{print $1; exit}' || true)
  # No fallback host: the mirror is whatever this machine's apt is configured to use.
  echo "$uri"
}

if [[ ! -s "$TARBALL" ]]; then
  [[ $(id -u) -eq 0 ]] || die "debootstrap needs root (or provide $TARBALL)"
  command -v debootstrap >/dev/null || die "debootstrap missing; run deploy/scripts/install-deps.sh"
  MIRROR=$(debian_mirror)
  [[ -n "$MIRROR" ]] || die "no Debian mirror for $SUITE in /etc/apt/sources.list(.d): set GYRE_DEBIAN_MIRROR or configure apt"
  mkdir -p "$CACHE_DIR"
  WORK=$(mktemp -d /var/tmp/gyre-rootfs.XXXXXX)
  cleanup() {
    # debootstrap mounts proc/sys inside the target; never rm -rf through a mount.
    local m
    for m in $(awk -v w="$WORK" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r); do
      umount -l "$m" 2>/dev/null || true
    done
    rm -rf --one-file-system "$WORK"
  }
  trap cleanup EXIT
  ROOTFS="$WORK/rootfs"
  log "debootstrap $SUITE from $MIRROR (log $WORK/debootstrap.log; takes 1-3 minutes)"
  if ! debootstrap --variant=minbase --include="$INCLUDE" "$SUITE" "$ROOTFS" "$MIRROR" \
        >"$WORK/debootstrap.log" 2>&1; then
    tail -n 30 "$WORK/debootstrap.log" >&2 || true
    [[ -f "$ROOTFS/debootstrap/debootstrap.log" ]] && tail -n 30 "$ROOTFS/debootstrap/debootstrap.log" >&2
    trap - EXIT   # keep the tree for inspection
    die "debootstrap failed; see above and $WORK/debootstrap.log (tree kept in $ROOTFS)"
  fi
  log "debootstrap done after $(( $(date +%s) - T0 ))s; trimming the tree"
  # Shrink: package lists and .deb caches are useless in the image (jobs that
  # need packages run apt-get update themselves); docs/man pages too.
  rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/apt/*.bin \
         "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/cache/debconf/*-old \
         "$ROOTFS"/var/log/* "$ROOTFS"/tmp/* \
         "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/*
  mkdir -p "$ROOTFS/var/lib/apt/lists/partial"
  # Write to a temp file first so an interrupted run never leaves a truncated cache.
  tar --numeric-owner -C "$ROOTFS" -cf "$TARBALL.tmp" .
  mv "$TARBALL.tmp" "$TARBALL"
  log "cached rootfs tarball $TARBALL ($(du -h "$TARBALL" | cut -f1))"
else
  log "importing cached tarball $TARBALL"
fi

# shellcheck disable=SC2002  # cat | docker import - as documented; also works with LFS/FUSE paths
cat "$TARBALL" | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["/bin/bash"]' \
  - "$IMAGE" >/dev/null

# Smoke test: the image must run without any network (jobs use --network none/host).
out=$(docker run --rm --network none "$IMAGE" /bin/bash -c 'git --version && echo ok') \
  || die "smoke test of $IMAGE failed"
[[ "$out" == *ok ]] || die "unexpected smoke test output: $out"
log "built $IMAGE in $(( $(date +%s) - T0 ))s ($(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')); smoke test: $(head -n1 <<<"$out")"
