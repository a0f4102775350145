#!/usr/bin/env bash
# tools/soak.py: a few seeded runs pass; a memory bound no run can keep fails each run with the
# seed and a replay command; the replay draws the same policy, cluster and faults.
# Usage: test_soak.sh BUILD_DIR SOURCE_DIR
set -u
BUILD=$1
SRC=$2
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hetsgd_soak.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
cd "$SRC" || exit 1

# 1. Three runs from seed 7: every one finishes with exact accounting and a finite model.
"$PY" tools/soak.py --build "$BUILD" --runs 3 --seed 7 --out "$tmp/good" > "$tmp/good.log" 2>&1 ||
  fail "three soak runs: $(cat "$tmp/good.log")"
grep -q "^soak: 3 runs, 0 failed, [0-9]* faults survived" "$tmp/good.log" ||
  fail "no closing line: $(cat "$tmp/good.log")"
"$PY" - "$tmp/good/soak.json" <<'PYEOF' || fail "soak.json of the good runs"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["runs"] == 3 and s["failures"] == 0, s
assert [r["seed"] for r in s["records"]] == [7, 8, 9], s["records"]
assert all(r["ok"] and not r["problems"] for r in s["records"])
PYEOF

# 2. A bound of 1 MiB: the run fails, and the output names the seed and how to replay it.
"$PY" tools/soak.py --build "$BUILD" --runs 1 --seed 7 --max-rss-mb 1 --out "$tmp/bad" \
  > "$tmp/bad.log" 2>&1 && fail "a broken memory bound passed: $(cat "$tmp/bad.log")"
grep -q "^soak:   peak RSS [0-9]* MiB > bound 1 MiB" "$tmp/bad.log" || fail "no RSS problem: $(cat "$tmp/bad.log")"
grep -q "^soak:   replay: python3 tools/soak.py --build $BUILD --replay 7" "$tmp/bad.log" ||
  fail "no replay command: $(cat "$tmp/bad.log")"
grep -q "^soak: failed seeds: 7$" "$tmp/bad.log" || fail "no failed seeds: $(cat "$tmp/bad.log")"

# 3. The replay draws the run seed 7 drew the first time.
"$PY" tools/soak.py --build "$BUILD" --replay 7 --out "$tmp/replay" > "$tmp/replay.log" 2>&1 ||
  fail "replay of seed 7: $(cat "$tmp/replay.log")"
first=$(grep "^soak: seed 7:" "$tmp/good.log" | sed 's/, [0-9.]* s: .*//')
again=$(grep "^soak: seed 7:" "$tmp/replay.log" | sed 's/, [0-9.]* s: .*//')
[[ -n $first && $first == "$again" ]] || fail "replay drew another run: '$first' vs '$again'"
echo "PASS: soak"
