#!/usr/bin/python3
"""torch.distributed gloo all-reduce sweep: the reference for hetsgd's own Gloo path.

bench_runtime collectives runs this as a child and reads its JSON. The figures follow nccl-tests:
algbw = bytes / time, busbw = algbw * 2(n-1)/n (GB = 1e9 bytes), and #wrong counts the elements of
one reduction of known data that differ from the exact sum. Per size: the correctness reduction,
then 2 warm-up operations, a barrier and `iters` timed in-place operations on zeros (values stay
bounded), iters = max(5, min(200, 5 * 2**26 // bytes)), the same rule as the C++ side.
Run with /usr/bin/python3 (Debian's python3-torch).
"""
import argparse
import json
import multiprocessing as mp
import os
import socket
import sys
import time
from datetime import timedelta

SIZES = [4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864]


def iterations(nbytes):
    return max(5, min(200, (5 * 2 ** 26) // nbytes))


def rank_main(rank, ranks, port, sizes, timeout_s, queue):
    # One thread each, loopback only: the same conditions as hetsgd's worker processes.
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    os.environ["OMP_NUM_THREADS"] = "1"
    os.environ["GLOO_SOCKET_IFNAME"] = "lo"
    try:
        import torch
        import torch.distributed as dist
        torch.set_num_threads(1)
        dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                                world_size=ranks, timeout=timedelta(seconds=timeout_s))
        rows = []
        total = ranks * (ranks + 1) // 2
        for nbytes in sizes:
            n = nbytes // 4
            pattern = (torch.arange(n, dtype=torch.int64) % 13 + 1).to(torch.float32)
            data = pattern * (rank + 1)
            dist.all_reduce(data)
            wrong = torch.tensor([int((data != pattern * total).sum())], dtype=torch.int64)
            dist.all_reduce(wrong, op=dist.ReduceOp.MAX)
            zeros = torch.zeros(n, dtype=torch.float32)
            for _ in range(2):
                dist.all_reduce(zeros)
            dist.barrier()
            iters = iterations(nbytes)
            start = time.perf_counter()
            for _ in range(iters):
                dist.all_reduce(zeros)
            seconds = (time.perf_counter() - start) / iters
            algbw = nbytes / seconds / 1e9
            rows.append({"bytes": nbytes, "elements": n, "iters": iters,
                         "time_us": seconds * 1e6, "algbw_gb_s": algbw,
                         "busbw_gb_s": algbw * 2 * (ranks - 1) / ranks,
                         "wrong": int(wrong.item())})
        dist.destroy_process_group()
        queue.put((rank, "ok", rows if rank == 0 else None, torch.__version__))
    except Exception as e:  # reported by the parent, naming the rank
        queue.put((rank, "error", repr(e), None))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--sizes", default=",".join(map(str, SIZES)), help="bytes, comma-separated")
    ap.add_argument("--out", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--timeout-s", type=float, default=120.0)
    a = ap.parse_args()
    try:
        sizes = [int(x) for x in a.sizes.split(",")]
    except ValueError:
        ap.error(f"--sizes: {a.sizes!r} is not a list of integers")
    bad = [b for b in sizes if b <= 0 or b % 4]
    if bad:
        ap.error(f"--sizes: {bad[0]} is not a positive multiple of 4 bytes")
    if a.ranks < 2:
        ap.error("--ranks must be at least 2")
    port = a.port or free_port()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=rank_main, args=(r, a.ranks, port, sizes, a.timeout_s, queue))
             for r in range(a.ranks)]
    for p in procs:
        p.start()
    deadline = time.monotonic() + a.timeout_s + 30
    results = {}
    try:
        while len(results) < a.ranks:
            left = deadline - time.monotonic()
            if left <= 0:
                raise RuntimeError(f"deadline of {a.timeout_s + 30:.0f} s passed; ranks "
                                   f"{sorted(set(range(a.ranks)) - set(results))} did not finish")
            try:
                rank, status, payload, version = queue.get(timeout=min(left, 1.0))
            except Exception:
                dead = [i for i, p in enumerate(procs) if p.exitcode not in (None, 0)]
                if dead and dead[0] not in results:
                    raise RuntimeError(f"rank {dead[0]} exited with {procs[dead[0]].exitcode}")
                continue
            if status != "ok":
                raise RuntimeError(f"rank {rank}: {payload}")
            results[rank] = (payload, version)
    except RuntimeError as e:
        for p in procs:
            p.kill()
        print(f"torch_allreduce: {e}", file=sys.stderr)
        sys.exit(1)
    for p in procs:
        p.join(timeout=10)
    rows, version = results[0]
    doc = {"benchmark": "torch_allreduce", "schema_version": 1, "backend": "torch_gloo",
           "ranks": a.ranks, "torch_version": version, "rows": rows}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=2)
    print(f"{'bytes':>10} {'time_us':>10} {'algbw':>8} {'busbw':>8} {'#wrong':>7}", file=sys.stderr)
    for r in rows:
        print(f"{r['bytes']:>10} {r['time_us']:>10.1f} {r['algbw_gb_s']:>8.3f} "
              f"{r['busbw_gb_s']:>8.3f} {r['wrong']:>7}", file=sys.stderr)


if __name__ == "__main__":
    main()
