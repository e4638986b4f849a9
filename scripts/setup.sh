#!/usr/bin/env bash
# Installs and starts what the test suites need on a fresh Debian 12 machine (run as root, or with sudo).
# Idempotent: already-installed pieces are skipped. Called by scripts/test-all.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

APT_PACKAGES=(clang llvm libbpf-dev bpftool crun chromium busybox-static strace make gcc libelf-dev zlib1g-dev pkg-config iproute2 python3 openssl openjdk-17-jdk-headless)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! command -v moto_server >/dev/null 2>&1; then
  echo "setup: moto_server not found; install it with: pip install 'moto[server]==5.2.1'" >&2
  exit 1
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund >/dev/null
fi

# eBPF tracepoints need tracefs.
if [ ! -e /sys/kernel/tracing/events ]; then
  $SUDO mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null || echo "setup: could not mount tracefs (eBPF tests will say so)" >&2
fi

for f in scripts/setup.d/*.sh; do
  [ -e "$f" ] || continue
  # shellcheck disable=SC1090
  source "$f"
done
