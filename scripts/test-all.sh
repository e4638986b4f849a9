#!/usr/bin/env bash
# The README's test command: installs prerequisites, then runs lint, the type check and every suite. Every step runs
# even when an earlier one failed, so one run shows every problem; the exit code is non-zero if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh || { echo "setup failed: see the message above for what to install" >&2; exit 1; }

failed=()
step() {
  local name=$1
  shift
  echo "== $name"
  if ! "$@"; then failed+=("$name"); fi
}
step lint npx biome check --diagnostic-level=error .
step "type check" npx tsc -p tsconfig.json
step tests npx vitest run

if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]}" >&2
  exit 1
fi
echo "all checks passed"
