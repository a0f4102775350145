#!/usr/bin/env bash
# Installs hetsgd into a fresh temporary prefix, builds apps/embed_example against it as a
# separate CMake project (find_package(hetsgd)), and runs it: the install, the package config
# and the public headers stay usable by a program outside this tree.
# Usage: test_embed_install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
BUILD=$1
SRC=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hetsgd_embed.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

cmake --install "$BUILD" --prefix "$tmp/prefix" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "cmake --install failed"; }
for f in include/hetsgd/hetsgd/hetsgd.hpp include/hetsgd/actors/training_run.hpp \
         lib/cmake/hetsgd/hetsgdConfig.cmake lib/cmake/hetsgd/hetsgdConfigVersion.cmake \
         lib/cmake/hetsgd/hetsgdTargets.cmake lib/cmake/hetsgd/FindCAF.cmake bin/hetsgd; do
  [[ -e "$tmp/prefix/$f" ]] || fail "the install has no $f"
done
ls "$tmp"/prefix/lib/libhetsgd.so* >/dev/null 2>&1 || fail "the install has no lib/libhetsgd.so"
"$tmp/prefix/bin/hetsgd" --version >/dev/null || fail "the installed hetsgd does not run"

# A consumer that knows only the prefix: no paths into this source or build tree.
cmake -S "$SRC/apps/embed_example" -B "$tmp/example" -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$tmp/prefix" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log"; fail "configuring the example against the install failed"; }
if grep -rq -- "$SRC/\(actors\|config\|gpu\|policies\)" "$tmp/example/CMakeFiles" 2>/dev/null; then
  fail "the example's build refers to the source tree, not the install"
fi
cmake --build "$tmp/example" -j2 >"$tmp/build.log" 2>&1 ||
  { tail -40 "$tmp/build.log"; fail "building the example against the install failed"; }
# ldd's output is taken whole first: under pipefail, `ldd | grep -q` fails when grep stops
# reading at the first match and ldd dies of SIGPIPE.
libs=$(ldd "$tmp/example/embed_example")
[[ $libs == *"$tmp/prefix/lib/libhetsgd.so"* ]] ||
  fail "the example does not load libhetsgd.so from the install: $(grep hetsgd <<< "$libs")"

"$tmp/example/embed_example" "$tmp/runs" >"$tmp/run.log" 2>&1 ||
  { cat "$tmp/run.log"; fail "embed_example failed"; }
cat "$tmp/run.log"
for policy in ssgd asgd; do
  grep -q "^embed_example: policy $policy: [1-9][0-9]* rounds, [1-9][0-9]* round events received" \
    "$tmp/run.log" || fail "no rounds (or no round events) under $policy"
  grep -qx "embed_example: policy $policy: before the start, paused yes" "$tmp/run.log" ||
    fail "the $policy run did not begin paused (run_options::start_paused)"
  [[ -s "$tmp/runs/$policy/summary.json" ]] || fail "no summary.json for the $policy run"
  grep -q '"action":"resume","paused_s":[0-9.e-]*,"reason":"start"' "$tmp/runs/$policy/events.jsonl" ||
    fail "the $policy run has no resume event for the program's start"
done
echo "PASS: embed_install"
