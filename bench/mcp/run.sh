#!/usr/bin/env bash
# tools/call latency and throughput: cove's MCP client vs the official TypeScript SDK client,
# against one server-everything (streamable HTTP, 127.0.0.1) in the same run, plus a raw-socket
# floor that stands for the server's own time.   bench/mcp/run.sh [CALLS]  (default 2000)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
calls=${1:-2000}
bench=$root/build/bin/mcp_bench
[ -x "$bench" ] || { echo "bench mcp: $bench missing; build first (scripts/bench mcp does)" >&2; exit 1; }
[ -d node_modules/@modelcontextprotocol/server-everything ] || { echo "bench mcp: run npm ci" >&2; exit 1; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -i PATH=/usr/bin:/bin PORT="$port" "$(command -v node)" --import "$root/tests/mcp/loopback.mjs" \
  node_modules/@modelcontextprotocol/server-everything/dist/index.js streamableHttp >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.1
done
url="http://127.0.0.1:$port/mcp"

cove_floor=$("$bench" "$url" "$calls")
sdk=$(node --no-warnings bench/mcp/sdk_bench.mjs "$url" "$calls")
lines=$(printf '%s\n%s\n' "$cove_floor" "$sdk")
field() { awk -v n="$1" -v f="$2" '$1==n {print $f}' <<<"$lines"; }

echo "mcp: tools/call echo on server-everything ($url), $calls sequential calls per client, after 200 warm-up calls"
printf '%-28s %9s %9s %9s\n' client "p50 ms" "p99 ms" "calls/s"
printf '%-28s %9s %9s %9s\n' "floor (raw socket)" "$(field floor 2)" "$(field floor 3)" "$(field floor 4)"
printf '%-28s %9s %9s %9s\n' "cove mcp::Client" "$(field cove 2)" "$(field cove 3)" "$(field cove 4)"
printf '%-28s %9s %9s %9s\n' "TypeScript SDK 1.32.2" "$(field sdk 2)" "$(field sdk 3)" "$(field sdk 4)"
awk -v c="$(field cove 2)" -v f="$(field floor 2)" -v s="$(field sdk 2)" \
    -v cr="$(field cove 4)" -v sr="$(field sdk 4)" 'BEGIN {
  printf "cove overhead over the floor (p50): %.3f ms (target <= 0.200)\n", c - f
  printf "ratio SDK/cove: p50 latency %.2fx, calls/s cove/SDK %.2fx\n", s / c, cr / sr
}'
