"""Measure how long each kernel of a compiled graph takes, for the explorer's time overlay.

An LLVM executable maps each kernel node to the callable its generated driver calls, held in the
driver's globals; for the profiled calls each is swapped for a timed wrapper, then put back.
The one place that reads those insides (`kernels`, and the driver function `run_unchecked`).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Sequence

from graphc.node import Node


def kernel_seconds(executable, args: Sequence, repeat: int = 5) -> dict[Node, float]:
    """Median seconds per call of each kernel over `repeat` calls of `executable(*args)`.

    Empty for a backend without kernels. Not for an executable other threads are calling.
    """
    kernels = getattr(executable, "kernels", None)
    if not kernels:
        return {}
    namespace = executable.run_unchecked.__globals__
    name_of = {id(value): name for name, value in namespace.items()}
    runs: dict[Node, list[float]] = {node: [] for node in kernels}
    swapped = {}
    for node, call in kernels.items():
        name = name_of.get(id(call))
        if name is not None:
            swapped[name] = call
            namespace[name] = _timed(call, runs[node])
    try:
        for _ in range(repeat):
            for samples in runs.values():
                samples.append(0.0)
            executable(*args)
    finally:
        namespace.update(swapped)
    return {node: statistics.median(samples) for node, samples in runs.items() if any(samples)}


def _timed(call, samples: list[float]):
    def timed(*args):
        start = time.perf_counter()
        try:
            return call(*args)
        finally:
            samples[-1] += time.perf_counter() - start

    return timed
