#!/usr/bin/env bash
# Installs every Debian and npm dependency cove needs, then builds it into build/.
# Idempotent and quiet: prints one line per step; on failure, the tail of the log.
#   scripts/setup.sh              install dependencies and build
#   scripts/setup.sh --deps-only  install dependencies only (CI builds in scripts/test.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
log=$(mktemp -t cove-setup.XXXXXX.log)

fail() {
  echo "setup: $1 failed; last lines of $log:" >&2
  tail -n 30 "$log" >&2
  exit 1
}

apt_packages=(
  build-essential cmake ninja-build ccache pkg-config git python3 iproute2
  libboost1.81-dev libboost-url1.81-dev libgit2-dev nlohmann-json3-dev libseccomp-dev
  libssl-dev libsqlite3-dev libspdlog-dev libcli11-dev libgtest-dev libgmock-dev
  libbenchmark-dev bubblewrap hyperfine ca-certificates openssl bsdutils util-linux
  libre2-dev
  # what the tests run inside sandboxes and beside them
  curl procps
)
# Node.js may come from elsewhere (e.g. NodeSource, whose nodejs bundles npm and conflicts
# with Debian's npm): only install Debian's when the commands are missing.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt_packages+=(nodejs npm)
fi

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
      $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1 \
    || fail "apt-get install"
else
  echo "setup: Debian packages present"
fi

if [ -f package.json ]; then
  if [ ! -d node_modules ] || [ package.json -nt node_modules/.package-lock.json ] ||
     { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
    echo "setup: installing npm packages"
    if [ -f package-lock.json ]; then
      npm ci --no-audit --no-fund --loglevel=error >>"$log" 2>&1 || fail "npm ci"
    else
      npm install --no-audit --no-fund --loglevel=error >>"$log" 2>&1 || fail "npm install"
    fi
  else
    echo "setup: npm packages present"
  fi
fi

# The network tests and the proxies' name checks need "localhost" (a Debian machine has it in
# /etc/hosts; a bare debootstrap root does not).
getent hosts localhost >/dev/null ||
  echo "setup: warning: the name localhost does not resolve (no /etc/hosts?); tests that use it will fail" >&2

[ "${1:-}" = "--deps-only" ] && { rm -f "$log"; exit 0; }

echo "setup: building into build/"
cmake -S "$root" -B "$root/build" -G Ninja >>"$log" 2>&1 || fail "cmake configure"
cmake --build "$root/build" >>"$log" 2>&1 || fail "build"
rm -f "$log"
echo "setup: done; the cove binary is build/bin/cove"
