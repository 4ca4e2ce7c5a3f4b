#!/usr/bin/env bash
# Builds cove and runs every test with CTest:
#   1. build/       all tests (unit, sandbox escape suite, integration)
#   2. build-asan/  unit tests again under AddressSanitizer + UBSan
# Prints the CTest summary of each run; exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)

build() {  # dir, target, extra cmake args...
  local dir=$1 target=$2; shift 2
  local log="$root/$dir.log"
  mkdir -p "$root/$dir"
  if ! { cmake -S "$root" -B "$root/$dir" -G Ninja "$@" && cmake --build "$root/$dir" -j "$jobs" --target "$target"; } \
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

echo "== build-asan/: unit tests under ASan/UBSan"
build build-asan unit_tests -DCOVE_SANITIZE=ON -DCOVE_BUILD_BENCH=OFF
(cd build-asan && ctest --output-on-failure --no-tests=error -j "$jobs" -L unit --timeout 300) ||
  status=1

exit $status
