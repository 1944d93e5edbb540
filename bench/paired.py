"""Paired timings: graphc and its peers called in alternation, round after round, so that
whatever slows the machine for a while (a neighbour on the host, memory bandwidth taken
elsewhere) slows every tool of that round alike.

bench/run.py times one library after the other, each for a fraction of a second; where two
tools are within 10-20% (W6 against torch.compile) the drift between those moments decides
the order. Here each round times every tool once (a batch of calls each, in a rotated order),
and the ratio of a peer to graphc is taken within the round; the median over rounds and the
spread of the middle half of them are printed. (bench/cpu_time.py interleaves the same tools
on one thread and measures CPU time instead.)

    python bench/paired.py                        # W6 softmax and layer norm, 41 rounds
    python bench/paired.py --rounds 81 --threads 1
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
from run import ROWS, row_function, row_peers  # bench/run.py (this script's folder is on the path)

import graphc
from graphc.threads import get_num_threads, set_num_threads


def contenders(name: str, xs: np.ndarray) -> dict:
    """Name -> a no-argument callable computing W6 `name` on `xs`, for graphc and each peer."""
    x = graphc.placeholder("x", shape=xs.shape)
    f = graphc.function([x], row_function(graphc, name)(x))
    return {"graphc llvm": lambda: f(xs), **row_peers(name, xs, get_num_threads())}


def per_call(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def paired(tools: dict, rounds: int, calls: int) -> dict[str, list[float]]:
    """Seconds per call of each tool in each round (the order rotates from round to round)."""
    names = list(tools)
    for fn in tools.values():  # compile and warm up
        per_call(fn, calls)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            samples[name].append(per_call(tools[name], calls))
    return samples


def report(title: str, samples: dict[str, list[float]]) -> None:
    ours = samples["graphc llvm"]
    print(f"\n{title}")
    print(f"  {'tool':<16} {'median ms':>10}   {'peer / graphc in a round: median [middle half]'}")
    for name, times in samples.items():
        line = f"  {name:<16} {statistics.median(times) * 1e3:10.3f}"
        if name != "graphc llvm":
            ratios = sorted(t / g for t, g in zip(times, ours))
            q1, q3 = ratios[len(ratios) // 4], ratios[3 * len(ratios) // 4]
            line += f"   x{statistics.median(ratios):.2f} [{q1:.2f}, {q3:.2f}]"
        print(line)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workloads", nargs="*", default=["softmax", "layer_norm"])
    parser.add_argument("--rounds", type=int, default=41)
    parser.add_argument("--calls", type=int, default=20, help="calls per tool per round")
    parser.add_argument("--threads", type=int, default=None, help="threads for every tool (default: all)")
    args = parser.parse_args(argv)
    if args.threads:
        set_num_threads(args.threads)
        if args.threads == 1:  # (read when JAX starts)
            os.environ["XLA_FLAGS"] = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
    xs = np.random.default_rng(0).standard_normal(ROWS).astype(np.float32)
    print(f"{os.cpu_count()} cores, threads={args.threads or 'all'}, {args.rounds} rounds of"
          f" {args.calls} calls per tool; ratio > 1: graphc is faster")
    for name in args.workloads:
        samples = paired(contenders(name, xs), args.rounds, args.calls)
        report(f"W6 {name} along rows, {ROWS[0]}x{ROWS[1]} float32", samples)


if __name__ == "__main__":
    main()
