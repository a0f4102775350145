#!/usr/bin/env bash
# Command-line contract of INTERFACE.md: subcommands, exit codes (0 ok, 2 bad usage/config,
# 1 runtime failure), error locations, and Ctrl-C still writing summary.json.
# Usage: test_cli.sh PATH/TO/hetsgd REPO_ROOT
set -u
BIN=$1
SRC=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

expect_rc() {  # expect_rc WANT DESCRIPTION -- command...
  local want=$1 what=$2; shift 3
  "$@" > "$TMP/out" 2> "$TMP/err"
  local rc=$?
  [[ $rc -eq $want ]] || fail "$what: exit $rc, want $want; stderr: $(cat "$TMP/err")"
}

expect_rc 0 "info" -- "$BIN" info
cp "$TMP/out" "$TMP/info"
NCCL_USABLE=0
grep -q "^  nccl   compiled in, usable" "$TMP/out" && NCCL_USABLE=1
CUDA_DEVICES=$(sed -n 's/^cuda devices: \([0-9]*\).*/\1/p' "$TMP/out")
grep -q "^  local  compiled in, usable" "$TMP/out" || fail "info lists the local collective"
grep -Eq "^  gloo   (compiled in, usable|not compiled in)" "$TMP/out" || fail "info says whether gloo works"
grep -Eq "^  nccl   (compiled in, (usable|not usable: no CUDA device)|not compiled in)" "$TMP/out" \
  || fail "info says whether nccl works, and why not"
grep -q "^cuda kernels: " "$TMP/out" || fail "info says whether CUDA kernels are built"
expect_rc 0 "--help" -- "$BIN" --help
grep -q "run" "$TMP/out" || fail "--help lists run"
expect_rc 0 "run --help" -- "$BIN" run --help
grep -q -- "--set" "$TMP/out" || fail "run --help documents --set"
expect_rc 2 "unknown subcommand" -- "$BIN" frobnicate
expect_rc 2 "no subcommand" -- "$BIN"
expect_rc 2 "run without config" -- "$BIN" run

expect_rc 0 "config-doc" -- "$BIN" config-doc
diff -q "$TMP/out" "$SRC/docs/config.md" > /dev/null \
  || fail "docs/config.md is stale: run 'build/hetsgd config-doc > docs/config.md'"

expect_rc 0 "validate default.toml" -- "$BIN" validate "$SRC/config/examples/default.toml"
for example in "$SRC"/config/examples/*.toml; do
  expect_rc 0 "validate $(basename "$example")" -- "$BIN" validate "$example"
done
grep -q "ok" "$TMP/out" || fail "validate says ok"

printf '[run]\nseed = 1\n[train]\nlr = "fast"\n' > "$TMP/bad.toml"
expect_rc 2 "validate bad type" -- "$BIN" validate "$TMP/bad.toml"
grep -qF "bad.toml:4:6: train.lr: expected a float, got string \"fast\"" "$TMP/err" \
  || fail "bad type message: $(cat "$TMP/err")"
expect_rc 2 "run bad type" -- "$BIN" run "$TMP/bad.toml" --out "$TMP/never"
[[ ! -e "$TMP/never/summary.json" ]] || fail "a bad config must not start a run"

printf '[train]\nlrr = 0.1\n' > "$TMP/typo.toml"
expect_rc 2 "unknown key" -- "$BIN" validate "$TMP/typo.toml"
grep -qF "train.lrr: unknown key (did you mean train.lr?)" "$TMP/err" \
  || fail "unknown key suggestion: $(cat "$TMP/err")"

expect_rc 2 "bad override" -- "$BIN" validate "$SRC/config/examples/default.toml" --set train.lr=abc
grep -qF -- "--set train.lr=abc" "$TMP/err" || fail "override error names the override"

expect_rc 2 "missing file" -- "$BIN" validate "$TMP/none.toml"
grep -qF "none.toml" "$TMP/err" || fail "missing file named"

expect_rc 2 "nccl with a subset policy" -- "$BIN" validate "$SRC/config/examples/default.toml" \
  --set cluster.transport=nccl --set policy.name=backup
grep -qF "cluster.transport: \"nccl\" carries" "$TMP/err" || fail "nccl refuses a subset policy, naming the key"
expect_rc 0 "nccl with an all-reduce policy is a valid config" -- "$BIN" validate \
  "$SRC/config/examples/default.toml" --set cluster.transport=nccl
if [[ $NCCL_USABLE -eq 0 ]]; then
  # Without a GPU the run says so before it starts, instead of failing every round.
  expect_rc 2 "nccl without a device" -- "$BIN" run "$SRC/config/examples/default.toml" \
    --set cluster.transport=nccl --out "$TMP/nccl_run"
  # A build without the backend (CUDA and NCCL not found, or make test-asan) says that instead.
  reason="no CUDA device"
  grep -q "^  nccl   not compiled in" "$TMP/info" && reason="the nccl collective is not compiled in"
  grep -qF "cluster.transport: \"nccl\" cannot be used on this machine: $reason" "$TMP/err" \
    || fail "nccl without a device: the reason ($reason)"
  [[ -e "$TMP/nccl_run/summary.json" ]] && fail "nccl without a device: a run was started"
else
  echo "nccl is usable here: the no-device refusal is not checked"
fi
# A worker refuses a device it cannot compute on before it connects anywhere.
expect_rc 2 "worker with a malformed device" -- "$BIN" worker --connect 127.0.0.1:1 --device tpu0
grep -qF 'device "tpu0" is not cpu, cuda or cuda:N' "$TMP/err" || fail "malformed device: the reason"
if [[ ${CUDA_DEVICES:-0} -eq 0 ]]; then
  expect_rc 2 "worker on a CUDA device without one" -- "$BIN" worker --connect 127.0.0.1:1 \
    --device cuda:0
  grep -qF -- "--device cuda:0: no CUDA device" "$TMP/err" || fail "cuda:0 without a GPU: the reason"
fi
expect_rc 2 "gloo with a subset policy" -- "$BIN" validate "$SRC/config/examples/default.toml" \
  --set cluster.transport=gloo --set policy.name=asgd
grep -qF "needs \"local\"" "$TMP/err" || fail "gloo refuses a policy it cannot sum, saying why"
expect_rc 2 "non-loopback listen without a token" -- "$BIN" validate \
  "$SRC/config/examples/default.toml" --set 'cluster.listen="0.0.0.0:7000"'
grep -qF "requires cluster.token" "$TMP/err" || fail "listening beyond loopback needs a token"
expect_rc 2 "bad listen address" -- "$BIN" validate "$SRC/config/examples/default.toml" \
  --set 'cluster.listen="localhost"'
grep -qF "cluster.listen" "$TMP/err" || fail "a bad listen address names the key"
expect_rc 2 "worker with a bad address" -- "$BIN" worker --connect nowhere

# The simulated clock with the default base_rate (the solo rate, measured once and cached):
# the same config and seed give byte-identical events, metrics and summary.
export HETSGD_CACHE_DIR="$TMP/cache"
for leg in a b; do
  expect_rc 0 "simulated run $leg" -- "$BIN" run \
    "$SRC/config/examples/default.toml" --set model.name=mlp --set cluster.clock=simulated \
    --set train.max_samples=6000 --set output.plots=false --set output.progress_every_s=0 \
    --out "$TMP/sim_$leg"
done
unset HETSGD_CACHE_DIR
[[ -s "$TMP/cache/solo_rates.json" ]] || fail "the solo rate is cached"
grep -qF "cached in $TMP/cache" "$TMP/sim_b/wall.json" || fail "the second run reads the cache"
for f in events.jsonl metrics.csv summary.json; do
  cmp -s "$TMP/sim_a/$f" "$TMP/sim_b/$f" || fail "simulated $f differs between two runs"
done

# compare: an unknown policy is refused up front, listing the valid ones.
expect_rc 2 "compare unknown policy" -- "$BIN" compare "$SRC/config/examples/default.toml" \
  --policies ssgd,sgd
grep -qF 'unknown policy "sgd"; valid: ssgd, asgd, ssp, backup, local_sgd, abs, abs_sgd' "$TMP/err" \
  || fail "compare lists the valid policies: $(cat "$TMP/err")"
# compare on the simulated clock: a policy that cannot run (backup's K above the workers) is
# marked with its error and the others' results are kept.
expect_rc 0 "compare simulated" -- "$BIN" compare "$SRC/config/examples/default.toml" \
  --set model.name=mlp --set cluster.clock=simulated --set cluster.base_rate=4000 \
  --set train.max_samples=0 --set train.max_seconds=1.5 --set train.eval_every_s=0.25 \
  --set train.target_accuracy=0.6 --set output.plots=false --set policy.backup.k=9 \
  --policies ssgd,backup,asgd --out "$TMP/cmp"
/usr/bin/python3 - "$TMP/cmp/comparison.json" <<'PY' || fail "comparison.json: $(cat "$TMP/cmp/comparison.json")"
import json, sys
c = json.load(open(sys.argv[1]))
rows = {r["policy"]: r for r in c["policies"]}
assert c["clock"] == "simulated" and list(rows) == ["ssgd", "backup", "asgd"]
assert rows["backup"]["error"].startswith("policy.backup.k: 9 is more than cluster.workers")
for p in ("ssgd", "asgd"):
    r = rows[p]
    assert r["error"] is None and r["time_to_target_s"] > 0 and r["rounds"] > 0, r
    assert abs(r["speedup_vs_ssgd"] - rows["ssgd"]["time_to_target_s"] / r["time_to_target_s"]) < 1e-9
best = min(rows[p]["time_to_target_s"] for p in ("ssgd", "asgd"))
assert abs(rows["asgd"]["speedup_vs_best_baseline"] - best / rows["asgd"]["time_to_target_s"]) < 1e-9
PY
grep -qF "| backup | failed: policy.backup.k" "$TMP/cmp/comparison.md" || fail "comparison.md marks the failure"
[[ -s "$TMP/cmp/asgd/summary.json" ]] || fail "compare keeps each policy's run directory"

# Runtime failure: a missing data set is exit 1 and names the package.
expect_rc 1 "missing data set" -- "$BIN" run "$SRC/config/examples/default.toml" \
  --set data.path="$TMP/nodata" --set output.plots=false --out "$TMP/nodata_run"
grep -qF "dataset-fashion-mnist" "$TMP/err" || fail "missing data names the package"

# Ctrl-C: wait for the first progress line (a real event, not a sleep), interrupt, and expect a
# clean exit with summary.json written.
coproc RUN { exec "$BIN" run "$SRC/config/examples/default.toml" --set model.name=mlp \
  --set train.max_samples=100000000 --set output.progress_every_s=0.2 --set output.plots=false \
  --out "$TMP/int" 2>&1; }
run_pid=$RUN_PID
# bash closes a coprocess's descriptors as soon as it exits; a copy stays readable to the end.
exec 3<&"${RUN[0]}"
seen=0
while IFS= read -r -t 120 line <&3; do
  if [[ "$line" == *"applied"* && "$line" != *"applied 0 "* ]]; then
    seen=1
    kill -INT "$run_pid"
    break
  fi
done
[[ $seen -eq 1 ]] || fail "no progress line within 120 s"
cat <&3 > "$TMP/int.log" &
drain=$!
timeout 120 tail --pid="$run_pid" -f /dev/null
wait "$run_pid"
rc=$?
wait "$drain"
exec 3<&-
[[ $rc -eq 0 ]] || fail "Ctrl-C run exit $rc: $(cat "$TMP/int.log")"
[[ -s "$TMP/int/summary.json" ]] || fail "Ctrl-C run wrote no summary.json"
grep -q '"end_reason": "stopped by request"' "$TMP/int/summary.json" \
  || fail "summary records the stop"

# --resume: bad input is exit 2 with the reason; a run killed with SIGKILL (no clean stop, so
# only its periodic checkpoints exist) resumes and finishes with the version counter continuing.
expect_rc 2 "resume a missing directory" -- "$BIN" run --resume "$TMP/no_such_run"
grep -qF "no_such_run: no such run directory" "$TMP/err" || fail "resume names the missing dir"
expect_rc 2 "resume with --set" -- "$BIN" run --resume "$TMP/int" --set train.lr=0.1
expect_rc 2 "resume without a checkpoint" -- "$BIN" run --resume "$TMP/int"
grep -qF "checkpoint/manifest.json: no checkpoint" "$TMP/err" \
  || fail "resume without checkpoint: $(cat "$TMP/err")"

"$BIN" run "$SRC/config/examples/default.toml" --set model.name=mlp --set train.max_samples=30000 \
  --set checkpoint.every_rounds=5 --set output.progress_every_s=0 --set output.plots=false \
  --out "$TMP/ck" > "$TMP/ck.log" 2>&1 &
ck_pid=$!
# Wait for a checkpoint past version 10 (observed on disk, with a deadline), then kill -9.
version_of() { sed -n 's/^  "version": \([0-9]*\),*$/\1/p' "$1" 2> /dev/null; }
for _ in $(seq 1 1200); do
  v=$(version_of "$TMP/ck/checkpoint/manifest.json")
  [[ -n "$v" && "$v" -ge 10 ]] && break
  kill -0 "$ck_pid" 2> /dev/null || break
  sleep 0.1
done
kill -KILL "$ck_pid" 2> /dev/null
wait "$ck_pid" 2> /dev/null
v=$(version_of "$TMP/ck/checkpoint/manifest.json")
if [[ -z "$v" || -e "$TMP/ck/summary.json" ]]; then
  fail "no checkpoint before the kill, or the run had already ended: $(cat "$TMP/ck.log")"
else
  expect_rc 0 "resume after kill -9" -- "$BIN" run --resume "$TMP/ck"
  grep -q '"end_reason": "max_samples reached"' "$TMP/ck/summary.json" \
    || fail "resumed run did not finish its samples: $(cat "$TMP/out" "$TMP/err")"
  first=$(awk '/"type":"resume"/ {r = 1} r && /"type":"round"/ {print; exit}' "$TMP/ck/events.jsonl")
  [[ "$first" == *"\"version\":$((v + 1)),"* || "$first" == *"\"version\":$((v + 1))}"* ]] \
    || fail "first round after resuming from version $v: $first"
  if [[ -x /usr/bin/python3 ]]; then  # a line torn by the kill is cut, every line parses
    /usr/bin/python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' \
      "$TMP/ck/events.jsonl" || fail "events.jsonl after kill -9 and resume does not parse"
  fi
fi

if [[ $failures -ne 0 ]]; then
  echo "$failures CLI check(s) failed"
  exit 1
fi
echo "all CLI checks passed"
