"""W6 (softmax and layer norm along rows) in CPU time on one thread, for a shared, noisy machine.

Wall-clock medians (bench/run.py) swing by several times while other processes run; the CPU
time a process spends on the work swings far less. Everything runs on one thread (graphc,
PyTorch, XLA), and the process's CPU time (all its threads) is measured, rounds interleaved:

    python bench/cpu_time.py [rounds]

Its figures compare the work each one does, not how it scales over cores: take the minimum.
"""

from __future__ import annotations

import os

os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import statistics
import sys
import time

import numpy as np
from run import ROWS, row_function, row_peers

import graphc
from graphc.threads import set_num_threads


def contenders(name: str, xs: np.ndarray) -> dict:
    dst = np.empty_like(xs)
    x = graphc.placeholder("x", shape=ROWS)
    f = graphc.function([x], row_function(graphc, name)(x))
    fns = {"memcpy of the input": lambda: np.copyto(dst, xs), "numpy": lambda: row_function(np, name)(xs),
           "graphc llvm": lambda: f(xs)}
    fns.update(row_peers(name, xs, threads=1))
    return fns


def main(argv: list[str]) -> None:
    rounds = int(argv[0]) if argv else 25
    set_num_threads(1)
    xs = np.random.default_rng(0).standard_normal(ROWS).astype(np.float32)
    for name in ("softmax", "layer_norm"):
        fns = contenders(name, xs)
        samples: dict[str, list[float]] = {k: [] for k in fns}
        for fn in fns.values():
            fn()
            fn()
        for _ in range(rounds):
            for label, fn in fns.items():
                start = time.process_time()
                fn()
                fn()
                samples[label].append((time.process_time() - start) / 2)
        print(f"\nW6 {name}, {ROWS[0]}x{ROWS[1]} float32, CPU ms on one thread (min / median of {rounds})")
        for label, times in samples.items():
            print(f"  {label:<24} {min(times) * 1e3:8.3f} {statistics.median(times) * 1e3:8.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
