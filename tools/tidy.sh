#!/usr/bin/env bash
# make tidy: clang-tidy (checked-in .clang-tidy: bugprone, performance, concurrency) over every
# hetsgd source in the compile database of BUILD (default: build), JOBS at a time. Any finding
# fails. Sources of third-party code and of the CUDA backend (nvcc flags) are left out.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
jobs=${JOBS:-2}
if [[ ! -f $build/compile_commands.json ]]; then
  cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release > "$build.configure.log" 2>&1 \
    || { cat "$build.configure.log"; exit 1; }
fi
tidy=$(command -v run-clang-tidy-14 || command -v run-clang-tidy || true)
if [[ -z $tidy ]]; then
  echo "tidy.sh: run-clang-tidy not found (Debian package clang-tidy)" >&2
  exit 2
fi
# Files of this repository only (the compile database also names nothing else, but be explicit).
"$tidy" -quiet -p "$build" -j "$jobs" \
  "$PWD/(actors|apps|config|gpu|policies|hetsgd|tests|bench)/.*\.cpp$" 2>&1 \
  | tee "$build.tidy.log" | grep -E "(warning|error):" || true
if grep -qE "^/.*(warning|error): .*\[[a-z-]+.*\]$" "$build.tidy.log"; then
  n=$(grep -cE "^/.*(warning|error): .*\[[a-z-]+.*\]$" "$build.tidy.log")
  echo "tidy: $n findings (full output: $build.tidy.log)" >&2
  exit 1
fi
echo "tidy: no findings"
