#!/usr/bin/env bash
# Each case copies the product tree, breaks the architecture in one way, and requires
# scripts/check-layers to fail naming the problem.
set -euo pipefail
python=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fresh_copy() {
  rm -rf "$work/tree" && mkdir "$work/tree"
  (cd "$src" && cp -r --parents base net sandbox mounts mcp runtime scripts "$work/tree/")
}

expect_refusal() {  # name, expected text
  local out
  if out=$("$python" "$work/tree/scripts/check-layers" --root "$work/tree" 2>&1); then
    echo "FAIL $1: check-layers passed"; failures=$((failures + 1)); return
  fi
  if ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output lacks '$2':"; echo "$out"; failures=$((failures + 1)); return
  fi
  echo "ok   $1"
}

fresh_copy
"$python" "$work/tree/scripts/check-layers" --root "$work/tree" >/dev/null ||
  { echo "FAIL: the unmodified copy does not pass"; exit 1; }

fresh_copy  # a lower layer reaching up
echo '#include "runtime/api/server.hpp"' >>"$work/tree/runtime/store/sqlite.cpp"
expect_refusal upward "runtime/store may not include runtime/api/server.hpp"

fresh_copy  # a sideways arrow between independent components
echo '#include "runtime/models/provider.hpp"' >>"$work/tree/runtime/netproxy/relay.cpp"
expect_refusal sideways "runtime/netproxy may not include runtime/models/provider.hpp"

fresh_copy  # an allowed arrow that the component's target does not link
sed -i 's/cove_mcp //' "$work/tree/runtime/sessions/CMakeLists.txt"
grep -q '"mcp/' "$work/tree"/runtime/sessions/*.cpp
expect_refusal unlinked "does not link cove_mcp"

fresh_copy  # a link the architecture forbids
sed -i 's/cove_component(cove_store /cove_component(cove_store PRIVATE cove_sessions /' \
  "$work/tree/runtime/store/CMakeLists.txt"
expect_refusal forbidden-link "links cove_sessions, which runtime/store may not use"

fresh_copy  # two headers including each other
echo '#include "runtime/store/store.hpp"' >>"$work/tree/runtime/store/sqlite.hpp"
echo '#include "runtime/store/sqlite.hpp"' >>"$work/tree/runtime/store/store.hpp"
expect_refusal cycle "include cycle"

fresh_copy  # a folder that is no component
mkdir -p "$work/tree/runtime/misc" && echo 'int x;' >"$work/tree/runtime/misc/x.cpp"
expect_refusal stray "runtime/misc/x.cpp: belongs to no component"

exit $((failures > 0))
