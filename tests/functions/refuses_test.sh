#!/usr/bin/env bash
# Each case writes one product file into an empty tree and requires scripts/check-functions
# to fail naming the long function, or to pass when every function is short enough.
set -euo pipefail
python=$1 src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
check() { "$python" "$src/scripts/check-functions" --root "$work/tree" 2>&1; }

fresh_tree() {  # file, then its text on stdin
  rm -rf "$work/tree" && mkdir -p "$work/tree/$(dirname "$1")" && cat >"$work/tree/$1"
}

body() {  # n: n lines of statements
  for ((i = 0; i < $1; i++)); do echo "  x += $i;"; done
}

expect_refusal() {  # name, expected text
  local out
  if out=$(check); then
    echo "FAIL $1: check-functions passed"; failures=$((failures + 1)); return
  fi
  if ! grep -qF -- "$2" <<<"$out"; then
    echo "FAIL $1: output lacks '$2':"; echo "$out"; failures=$((failures + 1)); return
  fi
  echo "ok   $1"
}

expect_pass() {  # name
  local out
  if ! out=$(check); then
    echo "FAIL $1: check-functions refused:"; echo "$out"; failures=$((failures + 1)); return
  fi
  echo "ok   $1"
}

# 101 lines: the signature, 99 statements, the closing brace.
{ echo "int x;"; echo "void long_one() {"; body 99; echo "}"; } | fresh_tree net/long.cpp
expect_refusal over-by-one "net/long.cpp:2: long_one: 101 lines"

{ echo "void just_fits() {"; body 98; echo "}"; } | fresh_tree net/fits.cpp
expect_pass at-the-limit

# A member defined out of line, its name on the second line of the header.
{ echo "namespace a { struct S { int f(int); }; }"; echo "int"; echo "a::S::f(int y) {";
  body 98; echo "  return y;"; echo "}"; } | fresh_tree mounts/member.cpp
expect_refusal qualified "mounts/member.cpp:3: a::S::f: 101 lines"

# Braces in literals and comments, and a lambda's body, all belong to the one function.
{ echo "int g() {"
  echo '  const char* s = "}}}{"; char c = '"'}'"'; // }'
  echo '  /* } */ auto r = R"x(}})x";'
  echo "  auto lambda = [&] {"; body 94; echo "  };"
  echo "  return 0;"; echo "}"; } | fresh_tree runtime/x/literals.cpp
expect_refusal literals-and-lambdas "runtime/x/literals.cpp:1: g: 101 lines"

# Brace initializers (a member's, a constructor's members', a table's) are no functions.
{ echo "struct T {"; echo "  T() : a{1}, b{2} {}"; echo "  int a{0};"; echo "  int b = 0;"; echo "};"
  echo "const int table[] = {"; for ((i = 0; i < 120; i++)); do echo "  $i,"; done; echo "};"
} | fresh_tree base/init.hpp
expect_pass initializers

exit $((failures > 0))
