#!/usr/bin/env bash
# `cove mcp tools|call` against tests/mcp/test_server.mjs (bearer token required).
set -euo pipefail
cove=$1
node=$2  # the project's pinned Node.js
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d -t cove-mcp-cli.XXXXXX)
env -i PATH="$PATH" TOKEN=cli-secret PAGE=4 "$node" "$here/test_server.mjs" >"$out/server" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true; rm -rf "$out"' EXIT
for _ in $(seq 100); do grep -q '^PORT ' "$out/server" && break; sleep 0.1; done
url="http://127.0.0.1:$(awk '/^PORT /{print $2}' "$out/server")/mcp"
fail() { echo "cli_test: $1" >&2; exit 1; }

export MCP_TOKEN=cli-secret
"$cove" mcp tools "$url" --bearer-env MCP_TOKEN >"$out/tools"
grep -q '^add$' "$out/tools" || fail "tools: no add tool"
grep -q '"required":\["a","b"\]' "$out/tools" || fail "tools: no input schema"
grep -q "^11 tools$" "$out/tools" || fail "tools: not every page listed"

"$cove" mcp call "$url" add '{"a":2,"b":3}' --bearer-env MCP_TOKEN >"$out/call"
grep -q '^{"sum":5}$' "$out/call" || fail "call: wrong text"
grep -q '^structuredContent: {"sum":5}$' "$out/call" || fail "call: no structuredContent"

if "$cove" mcp call "$url" fail '{}' --bearer-env MCP_TOKEN >/dev/null 2>"$out/err"; then
  fail "a tool error must exit non-zero"
fi
grep -q 'tool reported an error' "$out/err" || fail "tool error not reported"

if "$cove" mcp tools "$url" >/dev/null 2>"$out/err"; then fail "missing token must fail"; fi
grep -q '401' "$out/err" || fail "401 not reported: $(cat "$out/err")"

MCP_TOKEN=wrong-value-xyz
if "$cove" mcp tools "$url" --bearer-env MCP_TOKEN >"$out/out" 2>"$out/err"; then fail "wrong token accepted"; fi
if grep -q 'wrong-value-xyz' "$out/err" "$out/out"; then fail "the token was printed"; fi

if "$cove" mcp call "$url" add 'not json' --bearer-env MCP_TOKEN 2>"$out/err"; then fail "bad JSON accepted"; fi
grep -q 'JSON object' "$out/err" || fail "bad JSON not explained"
if "$cove" mcp tools "$url" --bearer-env NO_SUCH_VAR_FOR_COVE 2>"$out/err"; then fail "unset env accepted"; fi
grep -q 'NO_SUCH_VAR_FOR_COVE' "$out/err" || fail "unset variable not named"
echo "cli_test: ok"
