#!/usr/bin/env bash
# End to end against PyTorch DDP: hetsgd's ssgd and torch.distributed DDP (gloo, 127.0.0.1) train
# the same MLP on Fashion-MNIST with the same global batch, lr and momentum for the same number of
# samples, alternately, REPS times each. Writes one JSON (bench/README.md, "End to end against
# PyTorch DDP").
# Usage: bench/ddp_compare.sh BUILD OUT.json
# Environment (defaults): DDP_WORKERS (2) DDP_BATCH (64, per worker) DDP_LR (0.05)
#   DDP_MOMENTUM (0.0) DDP_SAMPLES (64000) DDP_REPS (3) DDP_TIMEOUT_S (300, per run)
#   DDP_HETSGD_MODE (threads): how hetsgd runs its workers: threads (one process, tensors in
#   memory), processes-local (worker processes, tensors through the aggregator over CAF) or
#   processes-gloo (worker processes, rounds summed by a Gloo all-reduce) or processes-gloo-hosted
#   (the same with worker 0 in the aggregator's process, as DDP's rank 0: cluster.hosted_workers)
#   DDP_HETSGD_SETS (none): more KEY=VALUE overrides for hetsgd, separated by spaces, e.g.
#   "cluster.early_start=false" to measure a setting against its default in the same way
# Without python3-torch it writes {"error": ...} and exits 0; a run that fails exits 1.
set -euo pipefail
if [[ $# -ne 2 ]]; then
  echo "usage: bench/ddp_compare.sh BUILD OUT.json" >&2
  exit 2
fi
BUILD=$(realpath -m -- "$1")  # both relative to the caller's directory
OUT=$(realpath -m -- "$2")
cd "$(dirname "$0")/.."
N=${DDP_WORKERS:-2}
BATCH=${DDP_BATCH:-64}
LR=${DDP_LR:-0.05}
MOMENTUM=${DDP_MOMENTUM:-0.0}
SAMPLES=${DDP_SAMPLES:-64000}
REPS=${DDP_REPS:-3}
TIMEOUT_S=${DDP_TIMEOUT_S:-300}
MODE=${DDP_HETSGD_MODE:-threads}
case $MODE in
  threads) mode_sets=() ;;
  processes-local) mode_sets=(--set 'cluster.mode="processes"' --set 'cluster.transport="local"') ;;
  processes-gloo) mode_sets=(--set 'cluster.mode="processes"' --set 'cluster.transport="gloo"') ;;
  processes-gloo-hosted) mode_sets=(--set 'cluster.mode="processes"' --set 'cluster.transport="gloo"'
                                    --set cluster.hosted_workers=1) ;;
  *) echo "ddp_compare: DDP_HETSGD_MODE=$MODE is not threads, processes-local, processes-gloo" \
          "or processes-gloo-hosted" >&2
     exit 2 ;;
esac
SEED=42
PY=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
mkdir -p "$(dirname "$OUT")"

if ! "$PY" -c 'import torch, torch.distributed' >/dev/null 2>&1; then
  msg="python3-torch is not installed: install it with HETSGD_EXTRAS=1 bash tools/install_deps.sh"
  printf '{\n  "schema_version": 1,\n  "benchmark": "ddp_compare",\n  "error": "%s"\n}\n' "$msg" \
    >"$OUT"
  echo "ddp_compare: skipped: $msg" >&2
  exit 0
fi
if [[ ! -x "$BUILD/hetsgd" ]]; then
  echo "ddp_compare: $BUILD/hetsgd not found (build it first: make)" >&2
  exit 1
fi

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ddp_compare.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

speeds=$(printf '1.0,%.0s' $(seq "$N"))
speeds="[${speeds%,}]"
# hetsgd's samples/s is over its training loop, as DDP's is: from its "start" event (workers
# joined) to its last round; samples_per_s_with_startup divides by the whole elapsed_s instead.
# Both sides do the same work per step: one forward/backward of BATCH samples per worker
# (micro_batch = batch), the mean gradient over N x BATCH samples, one SGD step. hetsgd's periodic
# evaluations are pushed past the run (eval_every_s) because DDP evaluates only at the end;
# both evaluate once on all 10,000 test images after training, outside the timed part.
hetsgd_cmd=("$BUILD/hetsgd" run config/examples/default.toml
  --set model.name=mlp --set policy.name=ssgd --set run.seed=$SEED
  --set cluster.workers="$N" --set "cluster.speeds=$speeds"
  --set train.batch="$BATCH" --set train.micro_batch="$BATCH"
  --set train.lr="$LR" --set train.momentum="$MOMENTUM" --set train.weight_decay=0.0
  --set train.max_samples="$SAMPLES" --set train.max_seconds=0 --set train.eval_every_s=100000.0
  --set output.plots=false --set output.progress_every_s=0)
params_cmd=("${hetsgd_cmd[@]}")  # checkpoints (for the parameter count) need one process
hetsgd_cmd+=("${mode_sets[@]}")
read -r -a extra_sets <<< "${DDP_HETSGD_SETS:-}"
for s in "${extra_sets[@]}"; do
  hetsgd_cmd+=(--set "$s")
done
ddp_cmd=("$PY" bench/ddp_baseline.py --workers "$N" --batch "$BATCH" --lr "$LR"
  --momentum "$MOMENTUM" --weight-decay 0 --samples "$SAMPLES" --seed "$SEED"
  --timeout "$TIMEOUT_S")

fail() {
  echo "ddp_compare: $*" >&2
  printf '{\n  "schema_version": 1,\n  "benchmark": "ddp_compare",\n  "error": "%s"\n}\n' \
    "$(echo "$*" | tr '"\n' "' ")" >"$OUT"
  exit 1
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
# The parameter count hetsgd trains: the weights blob of a checkpoint of a tiny run.
timeout "$TIMEOUT_S" "${params_cmd[@]}" --set train.max_samples=$((N * BATCH)) \
  --set checkpoint.every_s=100000.0 --out "$tmp/params" >"$tmp/params.log" 2>&1 ||
  fail "hetsgd (parameter count run) failed: $(tail -3 "$tmp/params.log")"

for r in $(seq "$REPS"); do
  echo "ddp_compare: rep $r/$REPS: hetsgd ssgd ($MODE), $N workers, $SAMPLES samples" >&2
  t0=$EPOCHREALTIME
  timeout "$TIMEOUT_S" "${hetsgd_cmd[@]}" --out "$tmp/hetsgd-$r" >"$tmp/hetsgd-$r.log" 2>&1 ||
    fail "hetsgd rep $r failed (exit $?): $(tail -3 "$tmp/hetsgd-$r.log")"
  echo "$t0 $EPOCHREALTIME" >"$tmp/hetsgd-$r.process_wall"
  echo "ddp_compare: rep $r/$REPS: PyTorch DDP, $N processes, $SAMPLES samples" >&2
  # ddp_baseline.py has its own deadline (--timeout); `timeout` is the backstop.
  t0=$EPOCHREALTIME
  timeout $((TIMEOUT_S + 30)) "${ddp_cmd[@]}" --out "$tmp/ddp-$r.json" >"$tmp/ddp-$r.log" 2>&1 ||
    fail "DDP rep $r failed (exit $?): $(tail -3 "$tmp/ddp-$r.log")"
  echo "$t0 $EPOCHREALTIME" >"$tmp/ddp-$r.process_wall"
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

hetsgd_torch=$("$BUILD/hetsgd" info 2>/dev/null | sed -n 's/^torch //p' || true)
deb_pytorch=$(dpkg-query -W -f='${Version}' python3-torch 2>/dev/null || echo unknown)
deb_libtorch=$(dpkg-query -W -f='${Version}' libtorch-dev 2>/dev/null || echo unknown)

"$PY" - "$tmp" "$OUT" "$REPS" <<PYEOF
import json, os, statistics, sys, time
tmp, out, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
manifest = json.load(open(os.path.join(tmp, "params", "checkpoint", "manifest.json")))
weights = [b for b in manifest["tensors"]["blobs"] if b["name"] == "weights"][0]
hetsgd_params = weights["bytes"] // 4  # float32
rows = []
for r in range(1, reps + 1):
    s = json.load(open(os.path.join(tmp, "hetsgd-%d" % r, "summary.json")))
    d = json.load(open(os.path.join(tmp, "ddp-%d.json" % r)))
    wall = lambda side: (lambda a, b: b - a)(*map(float, open(os.path.join(
        tmp, "%s-%d.process_wall" % (side, r))).read().split()))
    if s.get("exit_code", 0) != 0 or s.get("final_accuracy") is None:
        sys.exit("ddp_compare: hetsgd rep %d ended with %s: %s" % (r, s.get("end_reason"), s.get("errors")))
    # The same span as DDP's samples_per_s, its training loop: from the run's "start" event (every
    # worker joined, the data loaded, the first jobs out) to the last round applied. Before it,
    # hetsgd is starting its worker processes (DDP reports that as setup_s).
    events = [json.loads(l) for l in open(os.path.join(tmp, "hetsgd-%d" % r, "events.jsonl"))]
    start_t = next(e["t"] for e in events if e.get("type") == "start")
    rounds = [e for e in events if e.get("type") == "round"]
    loop_s = rounds[-1]["t"] - start_t
    rows.append({
        "rep": r,
        "hetsgd": {"samples_per_s": sum(e["samples"] for e in rounds) / loop_s,
                   "loop_s": loop_s, "startup_s": start_t,
                   "samples_per_s_with_startup": s["samples_applied"] / s["elapsed_s"],
                   "elapsed_s": s["elapsed_s"], "samples_applied": s["samples_applied"],
                   "rounds": s["rounds"], "final_accuracy": s["final_accuracy"],
                   "final_loss": s["final_loss"], "utilization": s["utilization"],
                   "solo_samples_per_s": s.get("solo_samples_per_s"),
                   "process_wall_s": wall("hetsgd")},
        "ddp": {"samples_per_s": d["samples_per_s"], "wall_s": d["wall_s"],
                "samples_applied": d["samples_applied"], "steps": d["steps"],
                "final_accuracy": d["final_accuracy"], "final_loss": d["final_loss"],
                "setup_s": d["setup_s"], "process_wall_s": wall("ddp"),
                "replicas_identical": d["replicas_identical"]},
    })
med = lambda side, key: statistics.median(row[side][key] for row in rows)
d1 = json.load(open(os.path.join(tmp, "ddp-1.json")))
h_sps, d_sps = med("hetsgd", "samples_per_s"), med("ddp", "samples_per_s")
def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h
effective = open(os.path.join(tmp, "hetsgd-1", "config.toml"), "rb").read()
result = {
    "benchmark": "ddp_compare",
    "schema_version": 1,
    "git_commit": "$commit",
    "config_hash": fnv1a64(effective),  # of hetsgd's effective config.toml, as bench_runtime's
    "seed": $SEED,
    "model": "mlp",
    "hetsgd_mode": "$MODE",
    "hetsgd_extra_sets": "${DDP_HETSGD_SETS:-}",
    "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    "openblas_threads": int(os.environ.get("OPENBLAS_NUM_THREADS", "0")),
    "machine": {"cores": os.cpu_count(), "loadavg_start": "$load_start",
                "loadavg_end": "$load_end"},
    "versions": {"hetsgd_libtorch": "$hetsgd_torch", "python_torch": d1["torch_version"],
                 "debian_python3_torch": "$deb_pytorch", "debian_libtorch_dev": "$deb_libtorch"},
    "config": {
        "model": "mlp", "policy": "ssgd", "workers": $N, "batch_per_worker": $BATCH,
        "global_batch": $N * $BATCH, "lr": $LR, "momentum": $MOMENTUM, "weight_decay": 0.0,
        "samples": $SAMPLES, "seed": $SEED, "reps": reps, "threads_per_worker": 1,
        "hetsgd_command": """${hetsgd_cmd[*]} --out DIR""",
        "ddp_command": """${ddp_cmd[*]}""",
    },
    "parameter_count": {"hetsgd": hetsgd_params, "ddp": d1["parameter_count"],
                        "equal": hetsgd_params == d1["parameter_count"]},
    "reps": rows,
    "median": {"hetsgd_samples_per_s": h_sps, "ddp_samples_per_s": d_sps,
               "hetsgd_elapsed_s": med("hetsgd", "elapsed_s"), "ddp_wall_s": med("ddp", "wall_s"),
               "hetsgd_process_wall_s": med("hetsgd", "process_wall_s"),
               "ddp_process_wall_s": med("ddp", "process_wall_s"),
               "hetsgd_final_accuracy": med("hetsgd", "final_accuracy"),
               "ddp_final_accuracy": med("ddp", "final_accuracy")},
    "ratio_samples_per_s": h_sps / d_sps,
    "final_accuracy": {"hetsgd": [row["hetsgd"]["final_accuracy"] for row in rows],
                       "ddp": [row["ddp"]["final_accuracy"] for row in rows]},
}
with open(out, "w") as f:
    json.dump(result, f, indent=2)
    f.write("\n")
print("ddp_compare: samples/s median hetsgd %.0f, DDP %.0f, ratio %.2f; final accuracy "
      "hetsgd %s, DDP %s; parameters %d / %d"
      % (h_sps, d_sps, h_sps / d_sps, result["final_accuracy"]["hetsgd"],
         result["final_accuracy"]["ddp"], hetsgd_params, d1["parameter_count"]))
PYEOF
