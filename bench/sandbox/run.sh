#!/usr/bin/env bash
# Measures cove's sandbox against bubblewrap (research/sandbox.md §3) in one run.
#   bench/sandbox/run.sh [--quick] [--rounds N]     (scripts/bench sandbox builds first)
# Needs root (cgroups, id maps), like `cove sandbox run`.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
bin="$root/build/bin"
[ -x "$bin/cove-bench-sandbox" ] || { echo "bench sandbox: build first (scripts/bench sandbox)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench sandbox: run as root (cove needs it for cgroups and id maps)" >&2; exit 1; }
exec "$bin/cove-bench-sandbox" --cove "$bin/cove" "$@"
