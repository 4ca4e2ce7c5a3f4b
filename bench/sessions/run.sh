#!/usr/bin/env bash
# scripts/bench sessions: the agent loop with the scripted model (no model latency), so the
# figures are cove's own: session create → first tool result (cold and warm repository), the
# loop's cost per tool call, and 100 concurrent sessions of 20 tool calls each.
set -euo pipefail
cd "$(dirname "$0")/../.."
[ "$(id -u)" = 0 ] || { echo "bench sessions: needs root (sandboxes)" >&2; exit 1; }
work=$(mktemp -d -t cove-bench-sessions.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
node bench/sessions/scripts.mjs "$work/scripts"

# The forge serves the benchmark repository (a few hundred files) over git smart HTTP.
mkdir -p "$work/src"
for d in $(seq 1 20); do mkdir -p "$work/src/pkg$d"; for f in $(seq 1 20); do printf 'line %s\n' $(seq 1 30) >"$work/src/pkg$d/file$f.txt"; done; done
echo "hello" >"$work/src/small.txt"
build/bin/cove forge repo create bench/repo --from "$work/src" --home "$work/forge" >/dev/null
token=$(build/bin/cove forge token create --repo bench/repo --home "$work/forge" | awk '{print $NF}' | tail -1)
build/bin/cove forge --listen 127.0.0.1:0 --home "$work/forge" >"$work/forge.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -qo "http://127.0.0.1:[0-9]*" "$work/forge.log" && break; sleep 0.05; done
forge=$(grep -o "http://127.0.0.1:[0-9]*" "$work/forge.log" | head -1)

build/bin/cove serve --listen 127.0.0.1:0 --home "$work/home" --api-key bench-key --offline \
  --scripts-dir "$work/scripts" >"$work/serve.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$work/serve.log" && break; sleep 0.05; done
base=$(grep -o "http://127.0.0.1:[0-9]*" "$work/serve.log")
echo "cove serve at $base, forge at $forge ($(nproc) cores)"
COVE_BENCH_TOKEN="$token" node bench/sessions/bench.mjs "$base" bench-key "$forge/bench/repo.git" "$@"
