#!/usr/bin/python3
"""Plots for hetsgd run directories.

Usage: /usr/bin/python3 tools/plot.py RUN_DIR [RUN_DIR...]

Reads metrics.csv, events.jsonl and summary.json from each run directory and writes
accuracy.png, worker_samples.png and loss.png next to them. A missing or empty input
skips only the plots that need it; the exit status is non-zero only if no plot at all
could be written.
"""
import csv
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (backend must be chosen first)

DPI = 120


def warn(msg):
    print(f"plot.py: {msg}", file=sys.stderr)


def number(value):
    """float(value), or None for blanks, nulls and non-finite values."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


# ---------------------------------------------------------------- loading


def load_metrics(run_dir):
    """Rows of metrics.csv as dicts of floats; [] if missing, empty or unreadable."""
    path = os.path.join(run_dir, "metrics.csv")
    try:
        with open(path, newline="") as f:
            rows = [{k: number(v) for k, v in row.items()} for row in csv.DictReader(f)]
    except OSError as e:
        warn(f"cannot read {path}: {e.strerror}")
        return []
    rows = [r for r in rows if r.get("time_s") is not None]
    if not rows:
        warn(f"{path} has no evaluation rows")
    return rows


def load_events(run_dir):
    """Parsed lines of events.jsonl; bad lines are skipped with a warning."""
    path = os.path.join(run_dir, "events.jsonl")
    events = []
    try:
        with open(path) as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    events.append(json.loads(line))
                except json.JSONDecodeError:
                    warn(f"{path}:{lineno}: not valid JSON, line skipped")
    except OSError as e:
        warn(f"cannot read {path}: {e.strerror}")
        return []
    if not events:
        warn(f"{path} has no events")
    return events


def load_summary(run_dir):
    path = os.path.join(run_dir, "summary.json")
    try:
        with open(path) as f:
            summary = json.load(f)
        if isinstance(summary, dict):
            return summary
        warn(f"{path} is not a JSON object")
    except OSError as e:
        warn(f"cannot read {path}: {e.strerror}")
    except json.JSONDecodeError as e:
        warn(f"{path} is not valid JSON ({e})")
    return {}


# ---------------------------------------------------------------- helpers


def title(summary, run_dir, what):
    parts = [summary.get(k) for k in ("policy", "model", "clock")]
    label = " / ".join(str(p) for p in parts if p) or os.path.basename(os.path.abspath(run_dir))
    return f"{what}: {label}"


def worker_label(wid, speeds):
    speed = speeds.get(wid)
    return f"worker {wid} (speed {speed:g})" if speed is not None else f"worker {wid}"


def save(fig, run_dir, name):
    path = os.path.join(run_dir, name)
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


# ---------------------------------------------------------------- plots


def plot_accuracy(run_dir, metrics, summary):
    pts = [(r["time_s"], r["test_accuracy"]) for r in metrics if r.get("test_accuracy") is not None]
    if not pts:
        warn(f"no test accuracy in {os.path.join(run_dir, 'metrics.csv')}; accuracy.png skipped")
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.plot(*zip(*pts), marker="o", markersize=4, label="test accuracy")
    target = number(summary.get("target_accuracy"))
    reached = number(summary.get("time_to_target_s"))
    if target is not None:
        note = f"reached at {reached:.2f} s" if reached is not None else "not reached"
        ax.axhline(target, color="gray", linestyle="--", label=f"target {target:g} ({note})")
        if reached is not None:
            ax.axvline(reached, color="tab:green", linestyle=":", linewidth=1)
            ax.plot([reached], [target], marker="*", markersize=14, color="tab:green",
                    linestyle="none", label=f"time to target {reached:.2f} s")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("test accuracy")
    ax.set_xlim(left=0)
    ax.set_title(title(summary, run_dir, "Test accuracy"))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return save(fig, run_dir, "accuracy.png")


def plot_worker_samples(run_dir, events, summary):
    rounds = [e for e in events if e.get("type") == "round" and number(e.get("t")) is not None]
    if not rounds:
        path = os.path.join(run_dir, "events.jsonl")
        warn(f"no round events in {path}; worker_samples.png skipped")
        return None
    speeds = {w.get("id"): number(w.get("speed")) for w in summary.get("per_worker") or []}
    # Per worker: times, cumulative samples applied, and samples in that round.
    series = {}
    for e in sorted(rounds, key=lambda e: e["t"]):
        for wid, n in zip(e.get("participants") or [], e.get("worker_samples") or []):
            s = series.setdefault(wid, ([], [], []))
            s[0].append(e["t"])
            s[1].append((s[1][-1] if s[1] else 0) + (n or 0))
            s[2].append(n or 0)
    if not series:
        warn(f"round events in {run_dir} name no participants; worker_samples.png skipped")
        return None
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 8), sharex=True,
                                      gridspec_kw={"height_ratios": [3, 2]})
    workers = sorted(series, key=lambda w: (str(type(w)), w))  # ids are ints; never mix types
    for i, wid in enumerate(workers):
        t, cum, per_round = series[wid]
        # Widest line first: workers with identical curves (e.g. ssgd) stay visible.
        style = {"color": f"C{i % 10}", "drawstyle": "steps-post",
                 "linewidth": 1.5 + 2.5 * (len(workers) - 1 - i) / max(len(workers) - 1, 1)}
        # Start at (0, 0) so late joiners show their delay.
        top.plot([0.0] + t, [0] + cum, label=worker_label(wid, speeds), **style)
        # The step holds a batch until the worker's next round; dots mark rounds when few.
        dots = {"marker": "o", "markersize": style["linewidth"] + 2} if len(rounds) <= 60 else {}
        bottom.plot(t, per_round, **dots, **style)
    if len(workers) > 1 and all(series[w][:2] == series[workers[0]][:2] for w in workers):
        top.text(0.98, 0.03, "all workers applied the same samples: lines coincide",
                 transform=top.transAxes, ha="right", fontsize="small", color="dimgray")
    drops = [e for e in events if e.get("type") == "dropped" and number(e.get("t")) is not None]
    if drops:
        bottom.scatter([e["t"] for e in drops], [e.get("samples") or 0 for e in drops],
                       marker="x", color="black", s=30, zorder=3,
                       label=f"dropped contribution ({len(drops)})")
        bottom.legend(loc="best", fontsize="small")
    top.set_ylabel("samples applied (cumulative)")
    top.set_title(title(summary, run_dir, "Samples applied per worker"))
    top.grid(True, alpha=0.3)
    top.legend(loc="upper left", fontsize="small", ncol=1 if len(workers) <= 6 else 3)
    bottom.set_title("samples per round (per-worker batch), colours as above", fontsize="medium")
    bottom.set_xlabel("time (s)")
    bottom.set_ylabel("samples per round")
    bottom.set_ylim(bottom=0, top=bottom.get_ylim()[1] * 1.1)
    bottom.set_xlim(left=0)
    bottom.grid(True, alpha=0.3)
    fig.tight_layout()
    return save(fig, run_dir, "worker_samples.png")


def plot_loss(run_dir, metrics, events, summary):
    test = [(r["time_s"], r["test_loss"]) for r in metrics if r.get("test_loss") is not None]
    train = [(e["t"], e["train_loss"]) for e in events
             if e.get("type") == "round" and number(e.get("t")) is not None
             and number(e.get("train_loss")) is not None]
    if not test and not train:
        warn(f"no test or training loss in {run_dir}; loss.png skipped")
        return None
    fig, ax = plt.subplots(figsize=(8, 5))
    if train:
        train.sort()
        ax.plot(*zip(*train), color="tab:orange", linewidth=0.8, alpha=0.7,
                label="training loss (per round)")
    if test:
        ax.plot(*zip(*test), color="tab:blue", marker="o", markersize=4, label="test loss")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("loss")
    ax.set_xlim(left=0)
    ax.set_title(title(summary, run_dir, "Loss"))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right")
    fig.tight_layout()
    return save(fig, run_dir, "loss.png")


# ---------------------------------------------------------------- main


def plot_run(run_dir):
    """Writes every plot its inputs allow; returns the paths written."""
    if not os.path.isdir(run_dir):
        warn(f"{run_dir} is not a directory")
        return []
    summary = load_summary(run_dir)
    metrics = load_metrics(run_dir)
    events = load_events(run_dir)
    written = []
    for make in (lambda: plot_accuracy(run_dir, metrics, summary),
                 lambda: plot_worker_samples(run_dir, events, summary),
                 lambda: plot_loss(run_dir, metrics, events, summary)):
        try:
            path = make()
        except Exception as e:  # one bad plot must not cost the others
            warn(f"plot failed in {run_dir}: {type(e).__name__}: {e}")
            plt.close("all")
            path = None
        if path:
            written.append(path)
    return written


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    written = [p for run_dir in argv[1:] for p in plot_run(run_dir)]
    for path in written:
        print(f"wrote {path}")
    if not written:
        warn("no plot could be made")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
