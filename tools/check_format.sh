#!/usr/bin/env bash
# clang-format over every C++ and CUDA source git knows, with the checked-in .clang-format.
#   tools/check_format.sh          lists the files that differ and fails (make format-check, CI)
#   tools/check_format.sh --fix    rewrites them in place (make format)
set -euo pipefail
cd "$(dirname "$0")/.."

CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
if ! command -v "$CLANG_FORMAT" > /dev/null; then
  echo "check_format: $CLANG_FORMAT not found (Debian package clang-format)" >&2
  exit 2
fi

mapfile -t files < <(git ls-files --cached --others --exclude-standard '*.cpp' '*.hpp' '*.cu' '*.cuh' '*.h')
if [[ ${1:-} == "--fix" ]]; then
  "$CLANG_FORMAT" -i "${files[@]}"
  echo "check_format: formatted ${#files[@]} files"
  exit 0
fi

bad=()
for f in "${files[@]}"; do
  if ! "$CLANG_FORMAT" --dry-run --Werror "$f" > /dev/null 2>&1; then
    bad+=("$f")
  fi
done
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "check_format: ${#bad[@]} of ${#files[@]} files are not formatted with .clang-format:" >&2
  for f in "${bad[@]}"; do
    echo "  $f" >&2
    "$CLANG_FORMAT" "$f" | diff -u "$f" - | sed -n '3,12p' | sed 's/^/    /' >&2 || true
  done
  echo "check_format: run 'make format' to fix them" >&2
  exit 1
fi
echo "check_format: ${#files[@]} files formatted"
