"""graphc on Dask against plain dask.array, on one LocalCluster (issue 17).

Two workloads stream an array through a cluster of worker processes with memory limits, in
chunks: W1 (`sin(x)*cos(x) + exp(-x*x)*0.5 + tanh(x)`) and a softmax over rows. Each runs as
plain dask.array (NumPy on every chunk) and as graphc.dask (the compiled kernel on every
chunk), on the same cluster and input chunks. Outputs go to a sink that drops them, so
nothing is gathered and the array never has to fit anywhere. Generating the input costs
both the same; it is timed on its own, and the ratio without it is printed too.

    python bench/dask_bench.py                # 0.5 GB: a minute or two
    python bench/dask_bench.py --gb 4         # the issue's size: 4 GB in 64 MB chunks, larger
                                              # than a worker's 1.5 GB memory limit
    python bench/dask_bench.py --scheduler tcp://host:8786   # an existing cluster (docs/dask.md)

Kernels compile on each worker on first use: a warm-up on a small array of the same
workloads compiles them (one kernel serves every chunk shape), so the timed runs do not.
"""

from __future__ import annotations

import argparse
import statistics
import time

import dask.array as da
import numpy as np
from dask.utils import parse_bytes
from distributed import Client, LocalCluster

import graphc
import graphc.dask

ROW = 4096  # elements per row: 16 KB of float32


class Discard:
    """A `da.store` target that drops what it is given."""

    def __setitem__(self, key, value) -> None:
        pass


def w1_numpy(x):
    return da.sin(x) * da.cos(x) + da.exp(-x * x) * np.float32(0.5) + da.tanh(x)


def softmax_numpy(x):
    e = da.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def graphc_workloads():
    x = graphc.placeholder("x", ("n", "m"))
    w1 = graphc.sin(x) * graphc.cos(x) + graphc.exp(-x * x) * 0.5 + graphc.tanh(x)
    return (graphc.dask.compile(graphc.function([x], w1)),
            graphc.dask.compile(graphc.function([x], graphc.softmax(x, -1))))


def seconds(array, repeat: int) -> float:
    """Median seconds to compute every chunk of `array` on the cluster (and drop it)."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        da.store(array, Discard(), lock=False)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def data(gb: float, chunk_mb: float):
    rows = max(1, int(gb * 2**30 / (4 * ROW)))
    chunk_rows = max(1, int(chunk_mb * 2**20 / (4 * ROW)))
    return da.random.default_rng(0).random((rows, ROW), dtype=np.float32, chunks=(chunk_rows, ROW))


def run(client: Client, gb: float, chunk_mb: float, repeat: int) -> None:
    w1_graphc, softmax_graphc = graphc_workloads()
    workloads = {"W1": (w1_numpy, w1_graphc), "row softmax": (softmax_numpy, softmax_graphc)}
    small = data(0.01, 1)
    for plain, compiled in workloads.values():  # compile on every worker; check agreement
        want, got = client.compute([plain(small), compiled(small)], sync=True)
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=1e-6)
    x = data(gb, chunk_mb)
    chunk_mb = x.chunksize[0] * ROW * 4 / 2**20
    workers = len(client.scheduler_info()["workers"])
    print(f"{x.nbytes / 2**30:.2f} GB of float32, {x.numblocks[0]} chunks of {chunk_mb:.0f} MB,"
          f" {workers} workers; median of {repeat} runs")
    base = seconds(x, repeat)
    print(f"generating the input alone: {base:.2f} s (both variants pay it)")
    print(f"{'workload':<12} {'dask.array':>10} {'graphc.dask':>11} {'ratio':>6}   less the input")
    for name, (plain, compiled) in workloads.items():
        t_plain, t_graphc = seconds(plain(x), repeat), seconds(compiled(x), repeat)
        net_plain, net_graphc = t_plain - base, t_graphc - base
        # Where graphc's own time is within the noise of the input's, a ratio would mean nothing.
        net = f"{net_plain / net_graphc:.1f}x" if net_graphc > 0.1 * base else "(graphc within noise)"
        print(f"{name:<12} {t_plain:9.2f}s {t_graphc:10.2f}s {t_plain / t_graphc:5.1f}x"
              f"   {net_plain:.2f}s vs {net_graphc:.2f}s: {net}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gb", type=float, default=0.5, help="size of the array (default 0.5)")
    parser.add_argument("--chunk-mb", type=float, default=64, help="size of a chunk (default 64)")
    parser.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    parser.add_argument("--memory-limit", default="1.5GB", help="per local worker (default 1.5GB)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per variant (default 3)")
    parser.add_argument("--scheduler", help="a running cluster's scheduler address, instead of a local one")
    args = parser.parse_args()
    if args.scheduler:
        with Client(args.scheduler) as client:
            run(client, args.gb, args.chunk_mb, args.repeat)
        return
    # One thread per worker, and graphc kernels on one thread each: the cluster's
    # parallelism is its workers, for NumPy and graphc alike. The buffer pool gets an eighth
    # of a worker's memory limit.
    pool = parse_bytes(args.memory_limit) // 8 if args.memory_limit != "auto" else None
    env = {"GRAPHC_NUM_THREADS": "1", **({"GRAPHC_POOL_BYTES": str(pool)} if pool else {})}
    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True,
                      memory_limit=args.memory_limit, dashboard_address=None,
                      env=env) as cluster, Client(cluster) as client:
        run(client, args.gb, args.chunk_mb, args.repeat)


if __name__ == "__main__":
    main()
