#!/usr/bin/env bash
# Every environment variable the product reads is documented in `cove --help`.
# Usage: env_help_test.sh COVE_BINARY SOURCE_ROOT
set -euo pipefail
cove=$1
root=$2
help=$("$cove" --help)
names=$(grep -rhoE '"(COVE|ANTHROPIC|OPENAI)_[A-Z_]*"|"(GITHUB_TOKEN|NO_COLOR)"' \
          "$root/runtime" "$root/sandbox" "$root/mounts" "$root/mcp" "$root/net" "$root/base" |
        tr -d '"' | sort -u)
[ -n "$names" ] || { echo "env_help_test: found no variable names in the sources" >&2; exit 1; }
missing=0
for name in $names; do
  if ! grep -qF -- "$name" <<<"$help"; then
    echo "env_help_test: $name is read by cove but not documented in cove --help" >&2
    missing=1
  fi
done
exit $missing
