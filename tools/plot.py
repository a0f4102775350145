#!/usr/bin/python3
"""Plots for hetsgd run directories and policy comparisons.

Usage: /usr/bin/python3 tools/plot.py RUN_DIR [RUN_DIR...]
       /usr/bin/python3 tools/plot.py --compare DIR [DIR...]

Single-run mode reads metrics.csv, events.jsonl and summary.json from each run directory and
writes accuracy.png, worker_samples.png and loss.png next to them.

Comparison mode reads DIR/comparison.json (written by `hetsgd compare`) and each policy's run
directory under DIR, and writes into DIR:
  compare_accuracy.png     test accuracy against time, one line per policy, target line dashed;
  compare_batch_sizes.png  samples per round of each worker over time, one subplot per policy
                           (min/median/max bands across workers when there are more than 16);
  compare_utilization.png  utilization per policy as bars, failed policies as a labelled gap;
  compare_staleness.png    histogram of the staleness of applied contributions for the
                           asynchronous policies (skipped, with a note, if there are none).

A missing or empty input (or a failed policy) skips only the plots, or the parts of a plot,
that need it, with a warning on stderr naming the file; the exit status is non-zero only if no
plot at all could be written.
"""
import bisect
import csv
import json
import math
import os
import statistics
import sys
import textwrap

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


# ---------------------------------------------------------------- comparison

# Policies that apply contributions computed on an older model; any other policy whose round
# events show a non-zero staleness counts as asynchronous too.
ASYNC_POLICIES = ("asgd", "ssp", "abs", "od_sgd")
MANY_WORKERS = 16  # above this, compare_batch_sizes.png draws bands instead of every worker
MARKERS = "osD^v<>ph*P"


def short(text, limit=60):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


class PolicyRun:
    """One entry of comparison.json and whatever could be read from its run directory."""

    def __init__(self, cmp_dir, entry, index, count):
        self.entry = entry
        self.name = str(entry.get("policy") or f"policy {index + 1}")
        self.error = entry.get("error")
        cmap = plt.get_cmap("tab10" if count <= 10 else "tab20")
        self.color = cmap(index % cmap.N)
        self.marker = MARKERS[index % len(MARKERS)]
        self.run_dir = self._find_run_dir(cmp_dir)
        self.summary, self.metrics, self.events = {}, [], []
        if self.run_dir is None:
            where = os.path.join(cmp_dir, self.name)
            why = f"failed ({short(self.error, 120)})" if self.error else "has no run directory"
            warn(f"policy {self.name} {why}: no {where}; left out of the plots that need its run")
            return
        if self.error:
            warn(f"policy {self.name} failed ({short(self.error, 120)}); plotting what "
                 f"{self.run_dir} holds")
        self.summary = load_summary(self.run_dir)
        self.metrics = load_metrics(self.run_dir)
        self.events = load_events(self.run_dir)

    def _find_run_dir(self, cmp_dir):
        # run_dir as recorded, else relative to DIR (a moved or copied comparison),
        # else DIR/<policy>.
        recorded = self.entry.get("run_dir")
        candidates = []
        if isinstance(recorded, str) and recorded:
            candidates += [recorded, os.path.join(cmp_dir, recorded),
                           os.path.join(cmp_dir, os.path.basename(recorded.rstrip("/")))]
        candidates.append(os.path.join(cmp_dir, self.name))
        return next((c for c in candidates if os.path.isdir(c)), None)

    def figure(self, key):
        """A figure from comparison.json, else from summary.json; None if neither has it."""
        value = number(self.entry.get(key))
        return value if value is not None else number(self.summary.get(key))

    def rounds(self):
        return sorted((e for e in self.events
                       if e.get("type") == "round" and number(e.get("t")) is not None),
                      key=lambda e: e["t"])

    def events_path(self):
        return os.path.join(self.run_dir or "", "events.jsonl")


def load_comparison(cmp_dir):
    path = os.path.join(cmp_dir, "comparison.json")
    try:
        with open(path) as f:
            comparison = json.load(f)
    except OSError as e:
        warn(f"cannot read {path}: {e.strerror}")
        return None
    except json.JSONDecodeError as e:
        warn(f"{path} is not valid JSON ({e})")
        return None
    if not isinstance(comparison, dict) or not isinstance(comparison.get("policies"), list):
        warn(f"{path} has no \"policies\" list")
        return None
    entries = [p for p in comparison["policies"] if isinstance(p, dict)]
    if not entries:
        warn(f"{path} lists no policies")
        return None
    comparison["policies"] = entries
    return comparison


def compare_title(what, clock, runs):
    workers = max((len(r.summary.get("per_worker") or []) for r in runs), default=0)
    parts = [f"{clock} clock" if clock else None, f"{workers} workers" if workers else None]
    parts = [p for p in parts if p]
    return f"{what} ({', '.join(parts)})" if parts else what


def compare_accuracy(cmp_dir, comparison, runs, xlabel, clock):
    name = "compare_accuracy.png"
    target = number(comparison.get("target_accuracy"))
    if target is None:
        target = next((number(r.summary.get("target_accuracy")) for r in runs
                       if number(r.summary.get("target_accuracy")) is not None), None)
    fig, ax = plt.subplots(figsize=(10, 5.5))
    plotted, starred, curves = 0, False, {}
    for r in runs:
        pts = sorted((m["time_s"], m["test_accuracy"]) for m in r.metrics
                     if m.get("test_accuracy") is not None)
        if not pts:
            if r.run_dir is not None and r.metrics:
                warn(f"no test accuracy in {os.path.join(r.run_dir, 'metrics.csv')}; "
                     f"{r.name} left out of {name}")
            # A legend entry all the same, so that every policy compared is named.
            ax.plot([], [], color=r.color, marker="x", linestyle="none",
                    label=f"{r.name} ({'failed' if r.error else 'no data'})")
            continue
        reached = r.figure("time_to_target_s")
        if r.error:
            note = "failed"
        elif target is None:
            note = f"final {pts[-1][1]:.3f}"
        else:
            note = f"target at {reached:.2f} s" if reached is not None else "target not reached"
        twin = curves.setdefault(tuple(pts), r.name)
        if twin != r.name:  # the later line hides the earlier one: say so
            note += f"; same curve as {twin}"
        ax.plot(*zip(*pts), color=r.color, marker=r.marker, markersize=3.5, linewidth=1.5,
                linestyle=":" if r.error else "-", label=f"{r.name} ({note})")
        if reached is not None and target is not None:
            starred = True
            ax.plot([reached], [target], marker="*", markersize=14, color=r.color,
                    markeredgecolor="black", markeredgewidth=0.6, linestyle="none", zorder=4)
        plotted += 1
    if not plotted:
        warn(f"no policy has test accuracy to plot; {os.path.join(cmp_dir, name)} skipped")
        plt.close(fig)
        return None
    if target is not None:
        ax.axhline(target, color="gray", linestyle="--", linewidth=1.2,
                   label=f"target accuracy {target:g}")
        if starred:
            ax.plot([], [], marker="*", markersize=12, color="lightgray",
                    markeredgecolor="black", markeredgewidth=0.6, linestyle="none",
                    label="time to target")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("test accuracy")
    ax.set_xlim(left=0)
    ax.set_title(compare_title("Test accuracy by policy", clock, runs))
    ax.grid(True, alpha=0.3)
    # Outside the axes: with many policies an inside legend would hide the curves.
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
              title="policy", borderaxespad=0)
    fig.tight_layout()
    return save(fig, cmp_dir, name)


def batch_series(rounds):
    """{worker: ([t], [samples that round])} from round events sorted by time."""
    series = {}
    for e in rounds:
        for wid, n in zip(e.get("participants") or [], e.get("worker_samples") or []):
            s = series.setdefault(wid, ([], []))
            s[0].append(e["t"])
            s[1].append(number(n) or 0)
    return series


def batch_bands(series, t_end, points=400):
    """Time grid and, at each time, min / quartiles / median / max over workers of each
    worker's latest batch (workers that have not contributed yet are left out)."""
    grid, lo, q1, med, q3, hi = [], [], [], [], [], []
    for i in range(points + 1):
        t = t_end * i / points
        current = []
        for times, sizes in series.values():
            k = bisect.bisect_right(times, t)
            if k:
                current.append(sizes[k - 1])
        if not current:
            continue
        current.sort()
        quart = statistics.quantiles(current, n=4) if len(current) > 1 else current * 3
        grid.append(t)
        lo.append(current[0])
        q1.append(quart[0])
        med.append(statistics.median(current))
        q3.append(quart[2])
        hi.append(current[-1])
    return grid, lo, q1, med, q3, hi


def compare_batch_sizes(cmp_dir, runs, xlabel, clock):
    name = "compare_batch_sizes.png"
    data = []
    for r in runs:
        series = batch_series(r.rounds()) if r.events else {}
        if r.run_dir is not None and r.events and not series:
            warn(f"no round events with participants in {r.events_path()}; "
                 f"{r.name}'s panel in {name} left empty")
        data.append(series)
    if not any(data):
        warn(f"no policy has round events to plot; {os.path.join(cmp_dir, name)} skipped")
        return None
    workers = sorted({w for s in data for w in s}, key=lambda w: (str(type(w)), w))
    many = len(workers) > MANY_WORKERS
    speeds = {}
    for r in runs:
        for w in r.summary.get("per_worker") or []:
            speeds.setdefault(w.get("id"), number(w.get("speed")))
    wcolor = {w: plt.get_cmap("tab10" if len(workers) <= 10 else "tab20")(i % 20)
              for i, w in enumerate(workers)}

    n = len(runs)
    ncols = 1 if n <= 3 else 2
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(7 * ncols + 2.2, 2.5 * nrows + 1.2),
                             sharex=True, squeeze=False)
    flat = axes.ravel()
    for ax in flat[n:]:  # an odd count leaves one empty slot: give its x ticks to the one above
        ax.set_visible(False)
        flat[list(flat).index(ax) - ncols].xaxis.set_tick_params(labelbottom=True)
    t_end = max((s[0][-1] for series in data for s in series.values()), default=0.0)
    handles = {}
    for r, series, ax in zip(runs, data, flat):
        ax.set_title(r.name + (" (failed)" if r.error else ""), fontsize="medium",
                     color="firebrick" if r.error else "black")
        ax.grid(True, alpha=0.3)
        if not series:
            why = ("failed:\n" + "\n".join(textwrap.wrap(short(r.error, 150), 55))
                   if r.error else "no round events")
            ax.text(0.5, 0.5, why, transform=ax.transAxes, ha="center", va="center",
                    color="firebrick" if r.error else "dimgray")
            ax.set_yticks([])
            continue
        if many:
            grid, lo, q1, med, q3, hi = batch_bands(series, t_end)
            h1 = ax.fill_between(grid, lo, hi, step="post", color="tab:blue", alpha=0.18,
                                 linewidth=0)
            h2 = ax.fill_between(grid, q1, q3, step="post", color="tab:blue", alpha=0.35,
                                 linewidth=0)
            (h3,) = ax.plot(grid, med, drawstyle="steps-post", color="tab:blue", linewidth=1.5)
            handles.setdefault("min – max over workers", h1)
            handles.setdefault("25–75 % of workers", h2)
            handles.setdefault("median worker", h3)
            sizes = {b for _, bs in series.values() for b in bs}
            if len(series) > 1 and len(sizes) == 1:
                ax.text(0.99, 0.05, f"all workers {sizes.pop():g} samples throughout",
                        transform=ax.transAxes, ha="right", fontsize="small", color="dimgray")
        else:
            present = [w for w in workers if w in series]
            for i, wid in enumerate(present):
                t, sizes = series[wid]
                # Widest line first: workers with identical batches (e.g. ssgd) stay visible.
                lw = 1.2 + 2.8 * (len(present) - 1 - i) / max(len(present) - 1, 1)
                dots = {"marker": "o", "markersize": 2.5} if len(t) <= 40 else {}
                (h,) = ax.plot(t, sizes, drawstyle="steps-post", color=wcolor[wid],
                               linewidth=lw, **dots)
                handles.setdefault(worker_label(wid, speeds), h)
            sizes = {b for w in present for b in series[w][1]}
            if len(present) > 1 and len(sizes) == 1:
                ax.text(0.99, 0.05, f"all workers {sizes.pop():g} samples throughout: "
                        "lines coincide", transform=ax.transAxes, ha="right",
                        fontsize="small", color="dimgray")
        ax.set_ylim(bottom=0, top=max(ax.get_ylim()[1] * 1.1, 1))
    flat[0].set_xlim(left=0, right=t_end * 1.01 if t_end > 0 else None)
    fig.supxlabel(xlabel)
    for ax in axes[:, 0]:  # not supylabel: tight_layout would let it run into the tick labels
        ax.set_ylabel("samples per round")
    what = (f"Per-worker batch over time: distribution across {len(workers)} workers" if many
            else f"Per-worker batch over time, {len(workers)} workers")
    fig.suptitle(compare_title(what, clock, []), fontsize="large")
    if handles:
        if many:
            labels = ["median worker", "25–75 % of workers", "min – max over workers"]
            labels = [k for k in labels if k in handles]
        else:
            labels = [worker_label(w, speeds) for w in workers]
            labels = [k for k in labels if k in handles]
        fig.legend([handles[k] for k in labels], labels, loc="center right",
                   fontsize="small", title="worker" if not many else None)
    fig.tight_layout(rect=(0, 0, 1 - 2.0 / (7 * ncols + 2.2), 1))
    return save(fig, cmp_dir, name)


def compare_utilization(cmp_dir, runs, clock):
    name = "compare_utilization.png"
    values = [None if r.error else r.figure("utilization") for r in runs]
    if all(v is None for v in values):  # gaps alone would be a chart without data
        warn(f"no policy has a utilization figure; {os.path.join(cmp_dir, name)} skipped")
        return None
    fig, ax = plt.subplots(figsize=(max(6.0, 1.0 * len(runs) + 2.5), 5))
    x = list(range(len(runs)))
    top = max([v for v in values if v is not None] + [1.0])
    ax.set_ylim(0, top * 1.12)
    for i, (r, v) in enumerate(zip(runs, values)):
        if v is None:
            # A labelled gap: the slot stays, so no policy silently disappears.
            ax.bar(i, top * 1.12, color="none", edgecolor="lightgray", hatch="//", linewidth=0)
            ax.text(i, top * 0.04, "failed" if r.error else "no figure", ha="center",
                    va="bottom", rotation=90, fontsize="medium",
                    color="firebrick" if r.error else "dimgray")
            continue
        bars = ax.bar(i, v, color=r.color, edgecolor="black", linewidth=0.5)
        ax.bar_label(bars, labels=[f"{v:.2f}"], padding=2, fontsize="small")
    ax.axhline(1.0, color="gray", linestyle=":", linewidth=1)
    ax.set_xticks(x)
    ax.set_xticklabels([r.name for r in runs], rotation=30 if len(runs) > 6 else 0,
                       ha="right" if len(runs) > 6 else "center")
    ax.set_xlabel("policy")
    ax.set_ylabel("utilization (fraction of cluster capacity)")
    ax.set_title(compare_title("Utilization by policy", clock, runs))
    ax.grid(True, axis="y", alpha=0.3)
    fig.tight_layout()
    return save(fig, cmp_dir, name)


def compare_staleness(cmp_dir, runs, clock):
    name = "compare_staleness.png"
    chosen = []
    for r in runs:
        values = [int(s) for e in r.rounds() for s in (e.get("staleness") or [])
                  if number(s) is not None]
        named = r.name in ASYNC_POLICIES
        if named and not values:
            warn(f"no staleness in {r.events_path()}; {r.name} left out of {name}")
        elif values and (named or any(values)):
            chosen.append((r, values))
    if not chosen:
        print(f"plot.py: note: no asynchronous policy with staleness data among "
              f"{', '.join(r.name for r in runs)}; {name} not written", file=sys.stderr)
        return None
    top = max(max(v) for _, v in chosen)
    width = 1 if top <= 60 else math.ceil((top + 1) / 60)
    edges = [k * width - 0.5 for k in range(top // width + 2)]
    # One panel per policy: counts differ by policy and overlaid outlines hide each other.
    fig, axes = plt.subplots(len(chosen), 1, figsize=(9, 1.9 * len(chosen) + 1.4), sharex=True,
                             squeeze=False)
    for (r, values), ax in zip(chosen, axes[:, 0]):
        mean = sum(values) / len(values)
        label = (f"{r.name}{' (failed)' if r.error else ''}: {len(values)} contributions, "
                 f"max {max(values)}")
        counts, _, patches = ax.hist(values, bins=edges, color=r.color, edgecolor="black",
                                     linewidth=0.4, label=label)
        ax.axvline(mean, color="black", linestyle="--", linewidth=1, label=f"mean {mean:.2f}")
        ax.set_ylim(top=ax.get_ylim()[1] * 1.18)
        ax.set_ylabel("contributions")
        ax.grid(True, alpha=0.3)
        if top <= 20:  # few bins: print the counts, so that a bin of 1 is not lost
            for text in ax.bar_label(patches, labels=[f"{c:g}" if c else "" for c in counts],
                                     padding=1, fontsize="x-small"):
                text.set_bbox({"facecolor": "white", "edgecolor": "none", "pad": 0.3})
        ax.legend(loc="upper right", fontsize="small")
    axes[-1, 0].set_xlim(edges[0] - 0.5 * width, edges[-1] + 0.5 * width)
    if top <= 20:
        axes[-1, 0].set_xticks(range(0, top + 1))
    axes[-1, 0].set_xlabel("staleness (versions)" + (f", bins of {width}" if width > 1 else ""))
    fig.suptitle(compare_title("Staleness of applied contributions", clock, runs))
    fig.tight_layout()
    return save(fig, cmp_dir, name)


def plot_comparison(cmp_dir):
    """Writes every comparison plot its inputs allow into cmp_dir; returns the paths written."""
    if not os.path.isdir(cmp_dir):
        warn(f"{cmp_dir} is not a directory")
        return []
    comparison = load_comparison(cmp_dir)
    if comparison is None:
        return []
    entries = comparison["policies"]
    runs = [PolicyRun(cmp_dir, e, i, len(entries)) for i, e in enumerate(entries)]
    clock = comparison.get("clock") or next(
        (r.summary.get("clock") for r in runs if r.summary.get("clock")), None)
    xlabel = "virtual time (s)" if clock == "simulated" else "time (s)"
    return make_each(cmp_dir, (
        lambda: compare_accuracy(cmp_dir, comparison, runs, xlabel, clock),
        lambda: compare_batch_sizes(cmp_dir, runs, xlabel, clock),
        lambda: compare_utilization(cmp_dir, runs, clock),
        lambda: compare_staleness(cmp_dir, runs, clock)))


def make_each(where, makers):
    """Calls each plot maker; one that fails is reported and costs only its own plot. Returns
    the paths written."""
    written = []
    for make in makers:
        try:
            path = make()
        except Exception as e:  # one bad plot must not cost the others
            warn(f"plot failed in {where}: {type(e).__name__}: {e}")
            plt.close("all")
            path = None
        if path:
            written.append(path)
    return written


# ---------------------------------------------------------------- main


def plot_run(run_dir):
    """Writes every plot its inputs allow; returns the paths written."""
    if not os.path.isdir(run_dir):
        warn(f"{run_dir} is not a directory")
        return []
    summary = load_summary(run_dir)
    metrics = load_metrics(run_dir)
    events = load_events(run_dir)
    return make_each(run_dir, (
        lambda: plot_accuracy(run_dir, metrics, summary),
        lambda: plot_worker_samples(run_dir, events, summary),
        lambda: plot_loss(run_dir, metrics, events, summary)))


def main(argv):
    if len(argv) < 2 or argv[1] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    if argv[1] == "--compare":
        if len(argv) < 3:
            print(__doc__.strip(), file=sys.stderr)
            return 2
        written = [p for cmp_dir in argv[2:] for p in plot_comparison(cmp_dir)]
    else:
        written = [p for run_dir in argv[1:] for p in plot_run(run_dir)]
    for path in written:
        print(f"wrote {path}")
    if not written:
        warn("no plot could be made")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
