#!/usr/bin/python3
"""PyTorch DistributedDataParallel baseline for hetsgd's end-to-end benchmark (bench/ddp_compare.sh).

Trains the network hetsgd calls "mlp" (gpu/models.cpp: 784-256-128-10, ReLU, 235,146 parameters)
on Fashion-MNIST with the preprocessing of gpu/fashion_mnist.cpp (bytes / 255, then
(x - 0.2860) / 0.3530), as N processes of one thread each joined by torch.distributed over gloo
on 127.0.0.1: synchronous data-parallel SGD, every step one batch of --batch samples per process,
gradients averaged by DDP's all-reduce (so the step uses the mean gradient over the global batch
of N x batch samples, as hetsgd's ssgd does), torch.optim.SGD with the same lr, momentum and
weight decay as hetsgd's master optimizer (gpu/flat_sgd.hpp). Each process draws its samples
like hetsgd's shard_sampler: one seeded permutation of the 60,000 training images, process i
takes the contiguous slice [60000*i/N, 60000*(i+1)/N) and walks it in a fresh order every pass.
It runs ceil(samples / (N x batch)) steps, hetsgd's stopping rule for train.max_samples under
ssgd, then process 0 evaluates on all 10,000 test images.

Prints one JSON object (and writes it to --out): samples/s applied over the training loop's wall
time, the wall seconds, the final test accuracy and loss, N, the batch per process, the torch
version, the parameter count and whether every replica ended with identical weights.

Every wait has a deadline: init_process_group (which also bounds each gloo collective) and the
parent's wait for its processes (--timeout). A failure or a timeout ends every process and exits 1
with a message saying what failed; it never hangs.

Run it with Debian's /usr/bin/python3 and python3-torch (HETSGD_EXTRAS=1 tools/install_deps.sh).
"""

import argparse
import datetime
import gzip
import json
import math
import os
import queue
import socket
import struct
import sys
import time
import traceback

# One thread per process for every library that might start its own: set before torch is
# imported here and inherited by the spawned processes, which import it afresh.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

try:
    import torch
    import torch.distributed as dist
    import torch.multiprocessing as mp
    import torch.nn as nn
    import torch.nn.functional as F
    from torch.nn.parallel import DistributedDataParallel as DDP
except ImportError as exc:  # pragma: no cover - depends on the machine
    sys.stderr.write(
        "ddp_baseline: cannot import torch (%s); install Debian's python3-torch with "
        "`HETSGD_EXTRAS=1 bash tools/install_deps.sh` and run this with /usr/bin/python3\n" % exc)
    sys.exit(1)

MEAN = 0.2860  # gpu/fashion_mnist.hpp: fashion_mnist_mean
STD = 0.3530   # gpu/fashion_mnist.hpp: fashion_mnist_std
TRAIN_COUNT = 60000
TEST_COUNT = 10000
SIDE = 28
PACKAGE_HINT = "install the Debian package dataset-fashion-mnist (apt-get install dataset-fashion-mnist)"


class DataError(Exception):
    pass


def _read_idx(path, magic, dims):
    """The payload of a gzip IDX file, checked like hetsgd's loader: magic, counts, sizes."""
    if not os.path.isfile(path):
        raise DataError("Fashion-MNIST not found: %s does not exist; %s" % (path, PACKAGE_HINT))
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as exc:
        raise DataError("Fashion-MNIST: %s is corrupt: %s" % (path, exc)) from exc
    header = 4 + 4 * len(dims)
    if len(raw) < header:
        raise DataError("Fashion-MNIST: %s is truncated (no IDX header)" % path)
    got = struct.unpack(">%dI" % (1 + len(dims)), raw[:header])
    if got[0] != magic:
        raise DataError("Fashion-MNIST: %s: magic number %d, expected %d" % (path, got[0], magic))
    if tuple(got[1:]) != tuple(dims):
        raise DataError("Fashion-MNIST: %s: dimensions %s, expected %s" % (path, got[1:], dims))
    size = math.prod(dims)
    if len(raw) != header + size:
        raise DataError("Fashion-MNIST: %s: %d data bytes, expected %d"
                        % (path, len(raw) - header, size))
    return torch.frombuffer(bytearray(raw[header:]), dtype=torch.uint8)


def load_split(data_dir, prefix, count):
    images = _read_idx(os.path.join(data_dir, prefix + "-images-idx3-ubyte.gz"), 2051,
                       (count, SIDE, SIDE))
    labels = _read_idx(os.path.join(data_dir, prefix + "-labels-idx1-ubyte.gz"), 2049, (count,))
    if int(labels.max()) > 9:
        raise DataError("Fashion-MNIST: %s labels outside 0..9" % prefix)
    # The same float32 operations as gpu/fashion_mnist.cpp: to float, / 255, - mean, / std.
    x = images.reshape(count, 1, SIDE, SIDE).to(torch.float32).div_(255.0)
    x.sub_(MEAN).div_(STD)
    return x, labels.to(torch.int64)


class MLP(nn.Module):
    """hetsgd's "mlp" (gpu/models.cpp): 784-256-128-10 with ReLU, PyTorch's default Linear init
    (U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases, as hetsgd's reinitialize)."""

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = x.reshape(x.size(0), 784)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class ShardSampler:
    """hetsgd's shard_sampler in spirit: a seeded global permutation, a contiguous slice per
    worker, a fresh order of the slice every pass, batches may span two passes. (The random
    streams differ from hetsgd's mt19937_64, so the exact sample order is not the same.)"""

    def __init__(self, size, rank, world, seed):
        perm = torch.randperm(size, generator=torch.Generator().manual_seed(seed))
        begin, end = size * rank // world, size * (rank + 1) // world
        self.shard = perm[begin:end]
        self.seed, self.rank, self.epoch = seed, rank, -1
        self.order, self.pos = None, 0
        self._new_pass()

    def _new_pass(self):
        self.epoch += 1
        g = torch.Generator().manual_seed(self.seed * 1000003 + self.rank * 7919 + self.epoch)
        self.order = self.shard[torch.randperm(self.shard.numel(), generator=g)]
        self.pos = 0

    def next(self, n):
        parts = []
        while n > 0:
            if self.pos == self.order.numel():
                self._new_pass()
            take = min(n, self.order.numel() - self.pos)
            parts.append(self.order[self.pos:self.pos + take])
            self.pos += take
            n -= take
        return parts[0] if len(parts) == 1 else torch.cat(parts)


def evaluate(model, x, y, chunk=1000):
    model.eval()
    correct, loss_sum = 0, 0.0
    with torch.no_grad():
        for i in range(0, x.size(0), chunk):
            logits = model(x[i:i + chunk])
            loss_sum += F.cross_entropy(logits, y[i:i + chunk], reduction="sum").item()
            correct += int(logits.argmax(1).eq(y[i:i + chunk]).sum())
    model.train()
    return correct / x.size(0), loss_sum / x.size(0)


def worker(rank, args, port, results):
    """One DDP process. Puts {"rank", ...figures} or {"rank", "error"} on `results`."""
    try:
        t_start = time.perf_counter()
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass  # already fixed by an earlier parallel call: it only affects inter-op pools
        dist.init_process_group(
            "gloo", init_method="tcp://127.0.0.1:%d" % port, rank=rank, world_size=args.workers,
            timeout=datetime.timedelta(seconds=args.collective_timeout))
        train_x, train_y = load_split(args.data, "train", TRAIN_COUNT)
        test = load_split(args.data, "t10k", TEST_COUNT) if rank == 0 else None

        torch.manual_seed(args.seed)  # same init everywhere; DDP also broadcasts rank 0's
        model = MLP()
        ddp = DDP(model)
        opt = torch.optim.SGD(ddp.parameters(), lr=args.lr, momentum=args.momentum,
                              weight_decay=args.weight_decay)
        sampler = ShardSampler(TRAIN_COUNT, rank, args.workers, args.seed)
        global_batch = args.workers * args.batch
        steps = math.ceil(args.samples / global_batch)

        dist.barrier()
        t0 = time.perf_counter()
        loss = None
        for _ in range(steps):
            idx = sampler.next(args.batch)
            x = train_x.index_select(0, idx)
            y = train_y.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(ddp(x), y)  # mean over the local batch; DDP averages ranks
            loss.backward()
            opt.step()
        dist.barrier()
        wall = time.perf_counter() - t0

        # Synchronous SGD keeps every replica identical: check it, bit for bit.
        flat = torch.cat([p.detach().reshape(-1) for p in model.parameters()])
        sums = [torch.zeros(2, dtype=torch.float64) for _ in range(args.workers)]
        mine = torch.tensor([flat.double().sum().item(), flat.double().abs().sum().item()],
                            dtype=torch.float64)
        dist.all_gather(sums, mine)
        identical = all(torch.equal(s, sums[0]) for s in sums)

        out = {"rank": rank, "wall_s": wall, "setup_s": t0 - t_start, "steps": steps,
               "final_train_loss": float(loss.item()) if loss is not None else None,
               "parameter_count": int(flat.numel()), "replicas_identical": identical,
               "epochs_started": sampler.epoch + 1}
        if rank == 0:
            acc, test_loss = evaluate(model, *test)
            out.update(final_accuracy=acc, final_loss=test_loss)
        dist.destroy_process_group()
        results.put(out)
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the parent
        msg = "%s: %s" % (type(exc).__name__, exc)
        if not isinstance(exc, DataError):
            msg += "\n" + traceback.format_exc()
        results.put({"rank": rank, "error": msg})
        sys.exit(1)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args):
    """Spawns the processes and waits for them, never past args.timeout. Returns the report."""
    port = args.port or free_port()
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, args, port, results), daemon=True)
             for r in range(args.workers)]
    t_begin = time.perf_counter()
    deadline = t_begin + args.timeout
    for p in procs:
        p.start()
    got = {}
    failure = None
    ended_by_us = set()
    try:
        while len(got) < args.workers and failure is None:
            try:
                item = results.get(timeout=0.2)
                got[item["rank"]] = item
                if "error" in item:
                    failure = "process %d failed: %s" % (item["rank"], item["error"])
                continue
            except queue.Empty:
                pass
            for r, p in enumerate(procs):
                if p.exitcode not in (None, 0) and r not in got:
                    failure = "process %d exited with code %s before reporting" % (r, p.exitcode)
            if time.perf_counter() > deadline:
                failure = ("timed out after %.0f s (--timeout) with %d of %d processes done"
                           % (args.timeout, len(got), args.workers))
        if failure is None:
            for p in procs:
                p.join(max(0.1, deadline - time.perf_counter()))
                if p.is_alive():
                    failure = "a process did not exit within --timeout after reporting"
    finally:
        if failure is not None and not failure.startswith("timed out"):
            # A peer of a failed process fails too at its next collective (the connection is
            # reset): give it a moment to report why, which the message below includes.
            grace = min(deadline, time.perf_counter() + 2.0)
            for p in procs:
                p.join(max(0.0, grace - time.perf_counter()))
        for r, p in enumerate(procs):
            if p.is_alive():
                ended_by_us.add(r)
                p.terminate()
        for p in procs:
            p.join(5)
            if p.is_alive():
                p.kill()
                p.join(5)
    total = time.perf_counter() - t_begin
    if failure is not None:
        # One death makes its peers fail in their next collective: name every process's fate,
        # so that the first cause is in the message, not only its echo.
        try:
            while True:
                item = results.get(timeout=0.5)
                got.setdefault(item["rank"], item)
        except (queue.Empty, OSError, EOFError):
            pass
        fates = []
        for r, p in enumerate(procs):
            if r in got and "error" in got[r]:
                fates.append("process %d failed: %s" % (r, got[r]["error"].strip()))
            elif r in ended_by_us:
                continue
            elif p.exitcode is not None and p.exitcode < 0 and r not in got:
                fates.append("process %d was killed by signal %d" % (r, -p.exitcode))
            elif p.exitcode not in (None, 0) and r not in got:
                fates.append("process %d exited with code %d before reporting" % (r, p.exitcode))
        raise RuntimeError(failure if not fates or failure.startswith("timed out")
                           else "; ".join(sorted(fates, key=lambda f: "killed" not in f)))

    r0 = got[0]
    wall = max(g["wall_s"] for g in got.values())
    steps = r0["steps"]
    applied = steps * args.workers * args.batch
    return {
        "schema_version": 1,
        "tool": "ddp_baseline",
        "torch_version": torch.__version__,
        "backend": "gloo",
        "address": "127.0.0.1:%d" % port,
        "model": "mlp (784-256-128-10, ReLU)",
        "parameter_count": r0["parameter_count"],
        "workers": args.workers,
        "threads_per_process": 1,
        "batch_per_worker": args.batch,
        "global_batch": args.workers * args.batch,
        "lr": args.lr,
        "momentum": args.momentum,
        "weight_decay": args.weight_decay,
        "seed": args.seed,
        "samples_target": args.samples,
        "steps": steps,
        "samples_applied": applied,
        "wall_s": wall,
        "samples_per_s": applied / wall,
        "setup_s": max(g["setup_s"] for g in got.values()),
        "total_wall_s": total,
        "final_accuracy": r0["final_accuracy"],
        "final_loss": r0["final_loss"],
        "test_samples": TEST_COUNT,
        "final_train_loss_rank0": r0["final_train_loss"],
        "replicas_identical": all(g["replicas_identical"] for g in got.values()),
        "epochs_started_per_worker": r0["epochs_started"],
        "data": args.data,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    ap.add_argument("--batch", type=int, default=64, help="samples per process per step")
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--momentum", type=float, default=0.0)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--samples", type=int, default=64000,
                    help="train for ceil(samples / (workers x batch)) steps")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--port", type=int, default=0, help="rendezvous port (0 = a free one)")
    ap.add_argument("--timeout", type=float, default=300.0,
                    help="seconds for the whole run before every process is ended (default 300)")
    ap.add_argument("--collective-timeout", type=float, default=60.0,
                    help="init_process_group timeout, also bounding each gloo collective")
    ap.add_argument("--out", help="also write the JSON here")
    args = ap.parse_args()
    for name in ("workers", "batch", "samples"):
        if getattr(args, name) < 1:
            ap.error("--%s must be >= 1" % name)
    if not 0.0 <= args.momentum < 1.0 or args.lr <= 0 or args.weight_decay < 0:
        ap.error("need lr > 0, 0 <= momentum < 1, weight decay >= 0")
    if args.timeout <= 0 or args.collective_timeout <= 0:
        ap.error("timeouts must be > 0")
    # Gloo binds to the interface the host name resolves to unless told: keep it on loopback.
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")

    try:
        if not os.path.isdir(args.data):
            raise DataError("Fashion-MNIST not found: %s does not exist; %s" % (args.data, PACKAGE_HINT))
        report = run(args)
    except (DataError, RuntimeError, OSError) as exc:
        msg = "ddp_baseline: %s" % exc
        sys.stderr.write(msg + "\n")
        if args.out:
            with open(args.out, "w") as f:
                json.dump({"schema_version": 1, "tool": "ddp_baseline", "error": msg}, f, indent=2)
                f.write("\n")
        sys.exit(1)
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
