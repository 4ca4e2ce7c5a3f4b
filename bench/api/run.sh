#!/usr/bin/env bash
# scripts/bench api: load figures for `cove serve` (durable SQLite store on a temp home).
set -euo pipefail
cd "$(dirname "$0")/../.."
home=$(mktemp -d -t cove-bench-api.XXXXXX)
log="$home/serve.log"
# Offline with a scripted model that just ends each turn: the figures are the API and store.
build/bin/cove serve --listen 127.0.0.1:0 --home "$home" --api-key bench-key --offline \
  --model-script tests/api/end_turn_script.json >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$home"' EXIT
for _ in $(seq 100); do grep -q "listening on" "$log" && break; sleep 0.05; done
base=$(grep -o "http://127.0.0.1:[0-9]*" "$log")
echo "cove serve at $base (pid $pid, $(nproc) cores, synchronous=FULL WAL)"
node bench/api/load.mjs "$base" bench-key "$pid"
