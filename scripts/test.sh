#!/usr/bin/env bash
# Builds cove and runs every test with CTest:
#   1. build/       all tests (unit, sandbox escape suite, integration)
#   2. build-asan/  under AddressSanitizer + UBSan: the unit tests again, and the integration
#                   tests of the network, MCP, model, proxy, API and agent-loop code
# Prints the CTest summary of each run; exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)

build() {  # dir, targets (space-separated), extra cmake args...
  local dir=$1 targets=$2; shift 2
  local log="$root/$dir.log"
  mkdir -p "$root/$dir"
  if ! { cmake -S "$root" -B "$root/$dir" -G Ninja "$@" && cmake --build "$root/$dir" -j "$jobs" --target $targets; } \
      >"$log" 2>&1; then
    grep -E -A5 "error|FAILED" "$log" | head -n 60 >&2 || tail -n 40 "$log" >&2
    echo "test: build of $dir failed (full log: $dir.log)" >&2
    exit 1
  fi
}

status=0
echo "== build/: all tests"
# The same build/ that scripts/setup.sh makes (the project's default flags): built once.
build build all
(cd build && ctest --output-on-failure --no-tests=error -j "$jobs" --timeout 300) || status=1

echo "== build-asan/: unit and network-facing integration tests under ASan/UBSan"
build build-asan "unit_tests sanitized_tests" -DCOVE_SANITIZE=ON -DCOVE_BUILD_BENCH=OFF
(cd build-asan &&
  ctest --output-on-failure --no-tests=error -j "$jobs" -L 'unit|sanitized' --timeout 300) ||
  status=1

exit $status
