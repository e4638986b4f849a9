#!/usr/bin/env bash
# The README's test command: installs prerequisites, then runs lint, type check and every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== lint";        npx biome check .
echo "== type check";  npx tsc -p tsconfig.json
echo "== tests";       npx vitest run
