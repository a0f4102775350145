#!/usr/bin/python3
"""Soak test (make soak): random fault schedules against random policies in simulated time.

Every run draws, from its own seed, a policy, a cluster (2-6 workers of random speeds) and a
schedule of 0-8 faults of every kind, and runs `hetsgd run` on the simulated clock. Each run must:
- finish, with exit code 0, within its wall-clock deadline;
- keep the accounting identity exact: computed = applied + dropped + in flight;
- keep the model finite: a final accuracy and a finite final loss;
- stay under the memory bound (peak RSS from wall.json).

Runs go on until the time is up (default 600 s). A failing run prints its seed and the one command
that replays it (--replay SEED). soak.json in the output directory has every run.

Usage: tools/soak.py [--build build] [--seconds 600] [--runs N] [--seed 1] [--out runs/soak]
                     [--max-rss-mb 3072] [--replay SEED] [--keep]
"""

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import time

POLICIES = ["ssgd", "asgd", "ssp", "backup", "local_sgd", "abs", "abs_sgd", "od_sgd", "wp_sgd",
            "dbs"]
WORKER_FAULTS = ["slowdown", "pause", "crash", "rejoin", "nan"]
LINK_FAULTS = ["delay", "drop", "slow_link", "disturbance"]
# A link fault's own setting: (key, low, high, decimals) of its uniform draw.
LINK_SETTING = {"delay": ("delay_s", 0.001, 0.2, 4),
                "drop": ("probability", 0.01, 0.3, 3),
                "slow_link": ("bandwidth_mb_s", 5.0, 200.0, 1)}
SIM_SECONDS = (4.0, 12.0)  # virtual seconds a run trains
BASE_RATE = 1000.0         # samples/s of a speed-1 worker in virtual time: a few s of wall a run
WALL_DEADLINE_S = 300      # per run; a run that takes longer is a hang


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, float):
        return repr(round(v, 4))
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return str(v)


def draw_faults(rng, workers, sim_s):
    """A schedule of 0-8 faults. At least one worker never crashes for good: a crash is followed
    by a rejoin of the same worker unless another worker stays up."""
    faults = []
    down_for_good = set()
    for _ in range(rng.randint(0, 8)):
        at = round(rng.uniform(0.0, sim_s * 0.8), 2)
        dur = round(rng.uniform(0.2, sim_s * 0.4), 2)
        kind = rng.choice(WORKER_FAULTS + LINK_FAULTS)
        w = rng.randrange(workers)
        if kind == "slowdown":
            faults.append({"kind": kind, "worker": w, "at_s": at, "duration_s": dur,
                           "factor": round(rng.uniform(1.5, 8.0), 2)})
        elif kind in ("pause", "nan"):
            faults.append({"kind": kind, "worker": w, "at_s": at, "duration_s": dur})
        elif kind == "crash":
            if len(down_for_good | {w}) >= workers:
                continue  # somebody must be left to train
            faults.append({"kind": "crash", "worker": w, "at_s": at})
            if rng.random() < 0.6:
                faults.append({"kind": "rejoin", "worker": w,
                               "at_s": round(min(at + dur, sim_s * 0.9), 2)})
            else:
                down_for_good.add(w)
        elif kind == "rejoin":
            faults.append({"kind": "rejoin", "worker": w, "at_s": at})
            down_for_good.discard(w)
        elif kind in LINK_SETTING:
            key, low, high, digits = LINK_SETTING[kind]
            f = {"kind": kind, "at_s": at, "duration_s": dur,
                 key: round(rng.uniform(low, high), digits)}
            if rng.random() < 0.7:  # else every worker's link
                f["worker"] = w
            faults.append(f)
        elif kind == "disturbance":
            faults.append({"kind": kind, "at_s": at, "duration_s": dur,
                           "probability": round(rng.uniform(0.1, 0.9), 2),
                           "factor": round(rng.uniform(1.5, 5.0), 2)})
    # A rejoin revives whoever it names: a worker crashed for good must not be named later.
    return faults


def draw_run(seed):
    rng = random.Random(seed)
    workers = rng.randint(2, 6)
    sim_s = round(rng.uniform(*SIM_SECONDS), 1)
    speeds = [round(rng.uniform(0.2, 1.0), 2) for _ in range(workers)]
    policy = rng.choice(POLICIES)
    sets = {
        "run.seed": seed,
        "model.name": "mlp",
        "policy.name": policy,
        "cluster.clock": "simulated",
        "cluster.workers": workers,
        "cluster.speeds": speeds,
        "cluster.base_rate": BASE_RATE,
        "train.max_samples": 0,
        "train.max_seconds": sim_s,
        "train.eval_every_s": 2.0,
        "train.eval_samples": 1000,
        "output.plots": False,
        "output.trace": False,
        "output.progress_every_s": 0.0,
    }
    return sets, draw_faults(rng, workers, sim_s)


def command(build, sets, faults, out):
    cmd = [os.path.join(build, "hetsgd"), "run", "config/examples/default.toml", "--out", out]
    for k, v in sets.items():
        cmd += ["--set", f"{k}={toml_value(v)}"]
    entries = ", ".join("{" + ", ".join(f"{k}={toml_value(v)}" for k, v in f.items()) + "}"
                        for f in faults)
    cmd += ["--set", f"faults=[{entries}]"]
    return cmd


def check(run_dir, proc, max_rss):
    """What is wrong with a finished run ([] = nothing)."""
    problems = []
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        problems.append(f"exit code {proc.returncode}: {' | '.join(tail)}")
    try:
        s = json.load(open(os.path.join(run_dir, "summary.json")))
    except (OSError, ValueError) as e:
        return problems + [f"no summary.json: {e}"]
    lhs = s["samples_computed"]
    rhs = s["samples_applied"] + s["samples_dropped"] + s["samples_in_flight_at_end"]
    if lhs != rhs:
        problems.append(f"accounting: computed {lhs} != applied + dropped + in flight {rhs}")
    loss = s.get("final_loss")
    if s.get("final_accuracy") is None or loss is None or not math.isfinite(loss):
        problems.append(f"model not finite: final accuracy {s.get('final_accuracy')}, loss {loss}")
    try:
        rss = json.load(open(os.path.join(run_dir, "wall.json")))["peak_rss_bytes"]
        if rss > max_rss:
            problems.append(f"peak RSS {rss / 2**20:.0f} MiB > bound {max_rss / 2**20:.0f} MiB")
    except (OSError, ValueError, KeyError) as e:
        problems.append(f"no peak RSS in wall.json: {e}")
    return problems


def run_one(args, seed):
    sets, faults = draw_run(seed)
    run_dir = os.path.join(args.out, f"run-{seed}")
    shutil.rmtree(run_dir, ignore_errors=True)
    cmd = command(args.build, sets, faults, run_dir)
    t0 = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=WALL_DEADLINE_S)
        problems = check(run_dir, proc, args.max_rss_mb * 2**20)
    except subprocess.TimeoutExpired:
        problems = [f"did not finish within {WALL_DEADLINE_S} s of wall time (a hang)"]
    wall = time.monotonic() - t0
    record = {"seed": seed, "policy": sets["policy.name"], "workers": sets["cluster.workers"],
              "sim_s": sets["train.max_seconds"], "faults": len(faults),
              "fault_kinds": sorted({f["kind"] for f in faults}), "wall_s": round(wall, 2),
              "ok": not problems, "problems": problems}
    if not problems and not args.keep:
        shutil.rmtree(run_dir, ignore_errors=True)
    return record, cmd


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default="build")
    ap.add_argument("--seconds", type=float, default=600.0, help="wall time to keep starting runs")
    ap.add_argument("--runs", type=int, default=0, help="stop after this many runs (0: no limit)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first run; then +1 each")
    ap.add_argument("--out", default="runs/soak")
    ap.add_argument("--max-rss-mb", type=int, default=3072, help="memory bound per run, MiB")
    ap.add_argument("--replay", type=int, help="run only this seed (as a failure printed it)")
    ap.add_argument("--keep", action="store_true", help="keep the run directories of good runs")
    args = ap.parse_args()
    if not os.access(os.path.join(args.build, "hetsgd"), os.X_OK):
        sys.exit(f"soak: {args.build}/hetsgd not found (build it first: make)")
    os.makedirs(args.out, exist_ok=True)
    seeds = [args.replay] if args.replay is not None else None
    records, failures = [], []
    start = time.monotonic()
    seed = args.seed
    while True:
        if seeds is not None:
            if not seeds:
                break
            seed = seeds.pop()
        elif time.monotonic() - start >= args.seconds or (args.runs and len(records) >= args.runs):
            break
        record, cmd = run_one(args, seed)
        records.append(record)
        status = "ok" if record["ok"] else "FAIL"
        print(f"soak: seed {seed}: {record['policy']}, {record['workers']} workers, "
              f"{record['faults']} faults {record['fault_kinds']}, {record['wall_s']} s: {status}",
              flush=True)
        if not record["ok"]:
            failures.append(record)
            for p in record["problems"]:
                print(f"soak:   {p}", flush=True)
            print(f"soak:   replay: python3 tools/soak.py --build {args.build} --replay {seed}"
                  f"\nsoak:   command: {' '.join(cmd)}", flush=True)
        seed += 1
    faults = sum(r["faults"] for r in records if r["ok"])
    summary = {"schema_version": 1, "runs": len(records), "failures": len(failures),
               "faults_survived": faults, "wall_s": round(time.monotonic() - start, 1),
               "first_seed": args.seed if args.replay is None else args.replay,
               "failed_seeds": [r["seed"] for r in failures], "records": records}
    with open(os.path.join(args.out, "soak.json"), "w") as f:
        json.dump(summary, f, indent=2)
        f.write("\n")
    print(f"soak: {len(records)} runs, {len(failures)} failed, {faults} faults survived; "
          f"{args.out}/soak.json", flush=True)
    if failures:
        print("soak: failed seeds: " + " ".join(str(r["seed"]) for r in failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
