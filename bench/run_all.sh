#!/usr/bin/env bash
# Runs the benchmark suite and writes JSON under bench/results/. Usage: bench/run_all.sh [BUILD]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
export OPENBLAS_NUM_THREADS=1
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
mkdir -p bench/results
"$BUILD/bench/bench_runtime" compute --model cnn --reps 2 --seconds 8 --commit "$commit" \
  --out bench/results/compute_cnn.json
"$BUILD/bench/bench_runtime" compute --model mlp --reps 2 --seconds 5 --commit "$commit" \
  --out bench/results/compute_mlp.json
"$BUILD/bench/bench_runtime" overhead --model cnn --reps 2 --seconds 10 --commit "$commit" \
  --out bench/results/round_overhead_cnn.json
"$BUILD/bench/bench_runtime" overhead --model mlp --reps 2 --seconds 8 --commit "$commit" \
  --out bench/results/round_overhead_mlp.json
# Every policy on the same cluster, 20 s each (about 3.5 minutes): one JSON line per policy, and
# the papers' headline claims as ratios in bench/results/policy_claims.json.
"$BUILD/bench/bench_runtime" policies --model mlp --seconds 20 --target 0.80 --commit "$commit" \
  --out bench/results/policies.jsonl
# Every policy with and without one crash (+ rejoin) and one 4x slowdown, 12 s each (about
# 4 minutes): accuracy side by side, crash-detection and rejoin latencies.
"$BUILD/bench/bench_runtime" faults --model mlp --seconds 12 --target 0.80 --commit "$commit" \
  --out bench/results/faults.jsonl
# A few policies doing the same 30,000 samples on a clean network, with 5 % of the bulk messages
# lost on every link (probes after 0.2 s) and with 20 ms added to every message (about 1 minute).
"$BUILD/bench/bench_runtime" links --model mlp --samples 30000 --drop 0.05 --delay 0.02 \
  --probe 0.2 --commit "$commit" --out bench/results/links.jsonl
# Scale on the simulated clock: 16, 64 and 256 MLP workers under ssgd, abs and abs_sgd, each
# doing 3 batches' worth of samples per worker (about 1 minute): aggregator cost per round,
# memory, wall seconds per simulated second. 1,024 workers add 2 minutes and 4 GB: run them by
# hand with --workers 16,64,256,1024 (bench/README.md).
"$BUILD/bench/bench_runtime" sim_scale --workers 16,64,256 --policies ssgd,abs,abs_sgd \
  --rounds 3 --commit "$commit" --out bench/results/sim_scale.jsonl
# The straggler matrix on the simulated clock: 8 workers, k in {1, 2, 4} of them slowed 2x, 4x,
# 8x, under six policies, each applying the same 16,384 samples (about 2 minutes): virtual time
# relative to the same policy without stragglers.
"$BUILD/bench/bench_runtime" stragglers --commit "$commit" --out bench/results/straggler_matrix.jsonl
# Collectives: an all-reduce sweep from 4 KiB to 64 MiB over 2 processes, hetsgd's Gloo path
# (ranks meet in the aggregator's CAF rendezvous store) and torch.distributed gloo alternately,
# 2 sweeps each (about 1 minute): algbw, busbw and #wrong per size, busbw ratio to torch.
"$BUILD/bench/bench_runtime" collectives --ranks 2 --reps 2 --commit "$commit" \
  --out bench/results/collectives.json
# Failure detection with worker processes: 3 workers on loopback, 3 kills (SIGKILL) and 3 freezes
# (SIGSTOP) under a 0.5 s heartbeat and a 2 s deadline (about 15 s): signal to the aggregator's
# 'left' event, and start (or thaw) to 'rejoined'.
"$BUILD/bench/bench_runtime" detection --reps 3 --commit "$commit" \
  --out bench/results/failure_detection.json
# End to end against PyTorch DDP: hetsgd's ssgd and torch.distributed DDP (gloo, 127.0.0.1) train
# the same MLP on the same data with the same global batch, lr and momentum for 64,000 samples,
# 2 workers of one thread each, alternately 3 times (about 1 minute). Needs Debian's
# python3-torch (HETSGD_EXTRAS=1 tools/install_deps.sh); without it the JSON says so.
bash bench/ddp_compare.sh "$BUILD" bench/results/ddp_compare.json
# The same with 2 worker processes whose rounds are summed by a Gloo all-reduce (issue 7's
# figure), 2 reps (about 1 minute).
DDP_HETSGD_MODE=processes-gloo DDP_REPS=2 bash bench/ddp_compare.sh "$BUILD" \
  bench/results/ddp_compare_processes_gloo.json
# And with worker 0 in the aggregator's process (cluster.hosted_workers = 1), as DDP's rank 0:
# two processes on each side (about 1 minute).
DDP_HETSGD_MODE=processes-gloo-hosted DDP_REPS=2 bash bench/ddp_compare.sh "$BUILD" \
  bench/results/ddp_compare_processes_gloo_hosted.json
echo "bench: results in bench/results/ ($SECONDS s)"
